// A small typed dictionary. English is the reference: every other language
// must have exactly its keys (the type checker and a unit test enforce it).
// Placeholders are written {name}.
import { ref } from 'vue'
import type { Lang } from './types'

export const en = {
  'app.name': 'Loket',
  'app.skip': 'Skip to content',
  'login.title': 'Sign in to Loket',
  'login.email': 'E-mail address',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'Sign-in failed: {error}',
  'nav.views': 'Views',
  'nav.mine': 'My tickets',
  'nav.unassigned': 'Unassigned',
  'nav.all': 'All tickets',
  'nav.teams': 'Teams',
  'nav.statuses': 'By status',
  'nav.admin': 'Administration',
  'nav.agents': 'Agents',
  'nav.channels': 'Channels',
  'nav.menu': 'Menu',
  'user.menu': 'User menu',
  'user.language': 'Language',
  'user.logout': 'Sign out',
  'live.on': 'Live',
  'live.off': 'Reconnecting…',
  'search.label': 'Search tickets and customers',
  'search.placeholder': 'Search: #ticket, customer number, e-mail, phone, text',
  'search.title': 'Search results for “{q}”',
  'search.none': 'Nothing found.',
  'search.tickets': 'Tickets',
  'search.contacts': 'Customers',
  'list.empty': 'No tickets in this view.',
  'list.loading': 'Loading…',
  'list.more': 'Load more',
  'list.selected': '{n} selected',
  'list.selectAll': 'Select all',
  'list.select': 'Select ticket #{n}',
  'list.unread': 'Unread',
  'list.bulkStatus': 'Set status',
  'list.bulkAssign': 'Assign to',
  'list.apply': 'Apply',
  'filter.status': 'Status',
  'filter.priority': 'Priority',
  'filter.tag': 'Tag',
  'filter.any': 'Any',
  'filter.clear': 'Clear filters',
  'col.ticket': 'Ticket',
  'col.subject': 'Subject',
  'col.status': 'Status',
  'col.priority': 'Priority',
  'col.channel': 'Channel',
  'col.assignee': 'Assignee',
  'col.updated': 'Updated',
  'status.new': 'New',
  'status.open': 'Open',
  'status.pending': 'Pending',
  'status.on_hold': 'On hold',
  'status.solved': 'Solved',
  'status.closed': 'Closed',
  'priority.low': 'Low',
  'priority.normal': 'Normal',
  'priority.high': 'High',
  'priority.urgent': 'Urgent',
  'delivery.queued': 'Queued',
  'delivery.sent': 'Sent',
  'delivery.delivered': 'Delivered',
  'delivery.read': 'Read',
  'delivery.failed': 'Failed',
  'ticket.back': 'Back to list',
  'ticket.timeline': 'Conversation',
  'ticket.properties': 'Properties',
  'ticket.assignee': 'Assignee',
  'ticket.team': 'Team',
  'ticket.tags': 'Tags',
  'ticket.tagsHint': 'comma separated',
  'ticket.nobody': 'Nobody',
  'ticket.noTeam': 'No team',
  'ticket.solve': 'Solve',
  'ticket.save': 'Save',
  'ticket.saved': 'Saved',
  'ticket.notFound': 'Ticket not found.',
  'ticket.followUp': 'Follow-up of #{n}',
  'msg.note': 'Internal note',
  'msg.in': 'From {address}',
  'msg.out': 'To {address}',
  'msg.via': 'via {channel}',
  'msg.retry': 'Retry',
  'msg.attachments': 'Attachments',
  'msg.system': 'System',
  'msg.customer': 'Customer',
  'composer.reply': 'Reply',
  'composer.note': 'Note',
  'composer.label': 'Message',
  'composer.mode': 'Reply or internal note',
  'composer.replyPlaceholder': 'Write a reply to the customer…',
  'composer.notePlaceholder': 'Write an internal note (never sent)…',
  'composer.send': 'Send',
  'composer.addNote': 'Add note',
  'composer.hint': 'Ctrl+Enter sends',
  'contact.title': 'Customer',
  'contact.number': 'Customer number',
  'contact.verified': 'Verified',
  'contact.unverified': 'Not verified',
  'contact.identities': 'Addresses',
  'contact.tickets': 'Tickets',
  'contact.edit': 'Edit name',
  'contact.name': 'Name',
  'contact.merge': 'Merge another customer into this one',
  'contact.mergeFind': 'Customer number, e-mail or phone',
  'contact.mergeLookup': 'Find',
  'contact.mergeConfirm': 'Merge {other} into {self}',
  'contact.merged': 'Customers merged',
  'contact.mergeNone': 'No other customer found.',
  'contact.unnamed': '(no name)',
  'admin.agents': 'Agents',
  'admin.teams': 'Teams',
  'admin.channels': 'Channels',
  'admin.create': 'Create',
  'admin.name': 'Name',
  'admin.email': 'E-mail',
  'admin.password': 'Password',
  'admin.role': 'Role',
  'admin.language': 'Language',
  'admin.kind': 'Kind',
  'admin.members': 'Members',
  'admin.disabled': 'Disabled',
  'admin.token': 'Inbound token of the new channel (shown only now): {token}',
  'admin.created': 'Created',
  'role.admin': 'Admin',
  'role.supervisor': 'Supervisor',
  'role.agent': 'Agent',
  'toast.newTicket': 'New ticket #{n}: {subject}',
  'toast.close': 'Dismiss',
  'error.generic': 'Something went wrong: {error}',
  'help.title': 'Keyboard shortcuts',
  'help.next': 'Next ticket',
  'help.prev': 'Previous ticket',
  'help.open': 'Open ticket',
  'help.reply': 'Reply',
  'help.note': 'Add a note',
  'help.solve': 'Solve ticket',
  'help.canned': 'Canned response (while writing)',
  'help.search': 'Search',
  'help.help': 'Show this help',
  'help.close': 'Close',
  'time.now': 'just now',
  'time.min': '{n} min ago',
  'time.hour': '{n} h ago',
  'time.day': '{n} d ago',
  'nav.due': 'Due soon',
  'nav.breached': 'SLA breached',
  'nav.contacts': 'Customers',
  'col.due': 'Due',
  'sla.first_response': 'First response',
  'sla.next_response': 'Next response',
  'sla.resolution': 'Resolution',
  'sla.dueIn': 'due in {time}',
  'sla.overdue': 'overdue by {time}',
  'sla.breached': 'SLA breached',
  'sla.aroundClock': 'Around the clock',
  'sla.help': 'The first enabled policy (by position) whose conditions match a ticket applies; otherwise the built-in default of its channel kind.',
  'sla.position': 'Position',
  'sla.calendar': 'Calendar',
  'sla.warn': 'Warn at %',
  'sla.default': 'Default for {kind}',
  'sla.targetsLegend': 'Targets: first response / next response / resolution, in business minutes.',
  'sla.new': 'New SLA policy',
  'sla.targets': 'Targets per priority (business minutes; empty: none)',
  'sla.minutes': 'minutes',
  'sla.conditions': 'Conditions (all must match; empty: any)',
  'sla.channelKinds': 'Channel kinds',
  'sla.attrKey': 'Customer attribute',
  'sla.attrValue': 'equals',
  'sla.attrAdd': 'Customer attribute condition',
  'dur.m': '{m} min',
  'dur.hm': '{h} h {m} min',
  'dur.dh': '{d} d {h} h',
  'toast.assigned': 'Assigned to you: #{n} {subject}',
  'toast.slaWarning': 'SLA almost due: #{n} {subject}',
  'toast.slaBreached': 'SLA breached: #{n} {subject}',
  'notify.assigned': 'Ticket assigned to you',
  'notify.slaWarning': 'SLA almost due',
  'notify.slaBreached': 'SLA breached',
  'notify.enable': 'Enable desktop notifications',
  'collision.viewing': '{name} is viewing',
  'collision.typing': '{name} is typing…',
  'collision.confirm': '{names} typed on this ticket in the last 15 seconds. Send anyway?',
  'collision.sendAnyway': 'Send anyway',
  'collision.cancel': 'Cancel',
  'composer.channel': 'Channel',
  'composer.to': 'To',
  'composer.toDefault': 'Customer’s address',
  'composer.cc': 'CC',
  'composer.ccPlaceholder': 'more addresses, comma separated',
  'composer.badCc': 'Not an e-mail address: {list}',
  'composer.attach': 'Attach files',
  'composer.removeFile': 'Remove {name}',
  'composer.total': 'Total {size}',
  'composer.tooLarge': '{name} is larger than {max}',
  'canned.button': 'Canned responses (#)',
  'canned.hint': 'Type # in the message to pick a canned response',
  'canned.title': 'Canned responses',
  'canned.search': 'Search canned responses',
  'canned.none': 'No canned responses found.',
  'canned.unavailable': 'Canned responses are not available on this server.',
  'canned.titleField': 'Title',
  'canned.text': 'Text',
  'canned.deleteConfirm': 'Delete “{title}”?',
  'msg.to': 'To',
  'msg.cc': 'CC',
  'msg.showFull': 'Show full message',
  'msg.hideFull': 'Show only the new part',
  'msg.raw': 'Original e-mail (.eml)',
  'kind.call': 'Phone call',
  'kind.letter': 'Letter',
  'kind.visit': 'Visit',
  'contacts.title': 'Customers',
  'contacts.search': 'Search customers',
  'contacts.searchPlaceholder': 'Name, number, e-mail or phone',
  'contacts.none': 'No customers found.',
  'contact.open': 'Customer page',
  'contact.details': 'Customer details',
  'contact.language': 'Language',
  'contact.attributes': 'Attributes',
  'contact.attributesInvalid': 'Attributes must be a JSON object.',
  'contact.editAll': 'Edit customer',
  'contact.address': 'Address',
  'contact.addIdentity': 'Add address',
  'admin.calendars': 'Calendars',
  'admin.sla': 'SLA policies',
  'admin.canned': 'Canned responses',
  'admin.edit': 'Edit',
  'admin.remove': 'Remove',
  'admin.enable': 'Enable',
  'admin.disable': 'Disable',
  'admin.enabled': 'Enabled',
  'admin.healthy': 'OK',
  'admin.status': 'Status',
  'admin.savedOk': 'Saved',
  'calendar.new': 'New calendar',
  'calendar.timeZone': 'Time zone',
  'calendar.hours': 'Opening hours',
  'calendar.holidays': 'Holidays',
  'calendar.closed': 'closed',
  'calendar.addRange': 'hours',
  'calendar.addHoliday': 'Add holiday',
  'calendar.rangeStart': '{day} from',
  'calendar.rangeEnd': '{day} until',
  'calendar.date': 'Date',
  'calendar.yearly': 'every year',
  'day.mon': 'Mon',
  'day.tue': 'Tue',
  'day.wed': 'Wed',
  'day.thu': 'Thu',
  'day.fri': 'Fri',
  'day.sat': 'Sat',
  'day.sun': 'Sun',
  'email.new': 'New e-mail channel',
  'email.edit': 'E-mail channel {name}',
  'email.addresses': 'Addresses (the first one sends)',
  'email.fromName': 'Sender name',
  'email.imap': 'Incoming mail (IMAP)',
  'email.smtp': 'Outgoing mail (SMTP)',
  'email.host': 'Server',
  'email.port': 'Port',
  'email.tls': 'TLS',
  'email.username': 'User name',
  'email.password': 'Password',
  'email.passwordSet': 'set; leave empty to keep',
  'email.folder': 'Folder',
  'email.autoAck': 'Automatic acknowledgement',
  'email.autoAckEnabled': 'Acknowledge new tickets with the expected answer time',
  'email.nudge': 'Suggest a faster channel (URL)',
} as const

export type MessageKey = keyof typeof en
export type Dictionary = Record<MessageKey, string>

// Other languages are separate chunks, fetched when first used.
const loaders: Record<Exclude<Lang, 'en'>, () => Promise<{ default: Dictionary }>> = {
  nl: () => import('./locales/nl'),
  de: () => import('./locales/de'),
}
const loaded: Partial<Record<Lang, Dictionary>> = { en }

/** loadDictionary fetches (once) and returns the dictionary of lang. */
export async function loadDictionary(lang: Lang): Promise<Dictionary> {
  if (!loaded[lang]) loaded[lang] = (await loaders[lang as Exclude<Lang, 'en'>]()).default
  return loaded[lang]!
}
export const LANGUAGES: { code: Lang; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'nl', name: 'Nederlands' },
  { code: 'de', name: 'Deutsch' },
]

export const locale = ref<Lang>('en')

let wanted: Lang = 'en'

/** setLocale switches the language once its dictionary is loaded (falls back to English). */
export async function setLocale(lang: string): Promise<void> {
  const l = (LANGUAGES.some((x) => x.code === lang) ? lang : 'en') as Lang
  wanted = l
  try {
    await loadDictionary(l)
  } catch {
    return // offline or a stale build: stay in the current language
  }
  if (wanted !== l) return // a later switch won
  locale.value = l
  if (typeof document !== 'undefined') document.documentElement.lang = l
}

export function translate(lang: Lang, key: MessageKey, params?: Record<string, string | number>): string {
  let s: string = loaded[lang]?.[key] ?? en[key] ?? key
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m))
  return s
}

/** t translates key in the current language (reactive: re-renders on switch). */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return translate(locale.value, key, params)
}

export function relativeTime(ms: number, now = Date.now()): string {
  const d = Math.max(0, now - ms) / 1000
  if (d < 60) return t('time.now')
  if (d < 3600) return t('time.min', { n: Math.floor(d / 60) })
  if (d < 86400) return t('time.hour', { n: Math.floor(d / 3600) })
  return t('time.day', { n: Math.floor(d / 86400) })
}

/** duration shows a length of time as minutes, hours and minutes, or days and hours. */
export function duration(ms: number): string {
  const mins = Math.ceil(Math.abs(ms) / 60000)
  const d = Math.floor(mins / 1440)
  const h = Math.floor((mins % 1440) / 60)
  const m = mins % 60
  if (d > 0) return t('dur.dh', { d, h })
  if (h > 0) return t('dur.hm', { h, m })
  return t('dur.m', { m })
}
