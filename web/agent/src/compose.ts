// Pure helpers of the reply composer: which addresses fit a channel, whom
// to answer by default, whom to copy when replying to all, attachments,
// messaging limits (the customer-service window, templates, opt-outs, SMS
// segments).
import { ApiError } from './api'
import { t, type MessageKey } from './i18n'
import type { Channel, Contact, Identity, Message, Template, TicketDetail } from './types'

/** MAX_ATTACHMENT is the largest file the API accepts (25 MiB). */
export const MAX_ATTACHMENT = 25 * 1024 * 1024

/** Reach is what the composer needs to know of a channel: what it can carry. */
export type Reach = Pick<Channel, 'capabilities'> | undefined

/** EMAIL reaches e-mail addresses, for reply-all over any channel's history. */
const EMAIL: Reach = { capabilities: { identities: ['email'] } }

/** identityKindsFor lists the kinds of address a channel can send to (its capabilities); null: any. */
export function identityKindsFor(ch: Reach): string[] | null {
  const ids = ch?.capabilities?.identities
  return ids && ids.length ? ids : null
}

export function fits(ch: Reach, id: Identity): boolean {
  const kinds = identityKindsFor(ch)
  return !kinds || kinds.includes(id.kind)
}

const same = (a: Identity, b: Identity) => a.kind === b.kind && a.value.toLowerCase() === b.value.toLowerCase()

/**
 * recipients lists the contact's identities that a channel can reach. An
 * e-mail address the customer typed into the website chat's form
 * (attributes.unverified_email) comes last for e-mail: it may be written
 * to, though it never identifies the customer.
 */
export function recipients(ticket: Pick<TicketDetail, 'contact'>, ch: Reach): Identity[] {
  const out = (ticket.contact?.identities ?? []).filter((i) => fits(ch, i))
  const typed = ticket.contact?.attributes?.unverified_email
  if (typeof typed === 'string' && typed && identityKindsFor(ch)?.includes('email')) {
    const extra: Identity = { kind: 'email', value: typed }
    if (!out.some((o) => same(o, extra))) out.push(extra)
  }
  return out
}

/**
 * replyChannels lists the channels a reply can go out on: the ticket's own
 * first, then every enabled channel on which the contact has an address of
 * a kind the channel reaches (a website visitor only by website chat). A
 * channel that carries no messages (no_replies: telephone, front desk) is never one, not even the ticket's own.
 */
export function replyChannels(channels: Channel[], ticket: Pick<TicketDetail, 'contact' | 'channel_id'>): Channel[] {
  const own = ticket.channel_id
  return channels
    .filter((c) => !c.capabilities?.no_replies)
    .filter((c) => c.id === own || (c.enabled && recipients(ticket, c).length > 0))
    .sort((a, b) => Number(b.id === own) - Number(a.id === own) || a.id - b.id)
}

/** addressLabel shows an address to agents; a website visitor's token means nothing to them. */
export function addressLabel(i: Identity): string {
  return i.kind === 'web' ? t('address.web') : i.value
}

/** lastInbound is the latest customer message (with an address) of the timeline. */
export function lastInbound(messages: Message[], ch?: Reach): Message | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]
    if (m.direction === 'in' && m.address && fits(ch, m.address)) return m
  }
  return undefined
}

/**
 * defaultRecipient picks whom a reply on channel ch goes to: the address of
 * the last inbound message that fits, else the first fitting identity.
 */
export function defaultRecipient(ticket: Pick<TicketDetail, 'contact' | 'messages'>, ch: Reach): Identity | undefined {
  const options = recipients(ticket, ch)
  const m = lastInbound(ticket.messages, ch)
  if (m?.address) return options.find((o) => same(o, m.address!)) ?? m.address
  return options[0]
}

function metaList(m: Message | undefined, key: 'cc' | 'to'): string[] {
  const v = m?.meta?.[key]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

/**
 * replyAllCc is the CC of a reply to all: the last inbound e-mail's CC and
 * other To addresses, without the channel's own addresses and the recipient.
 */
export function replyAllCc(messages: Message[], own: string[], to?: string): string[] {
  const m = lastInbound(messages, EMAIL)
  const skip = new Set([...own, to ?? ''].map((x) => x.toLowerCase()))
  const out: string[] = []
  for (const a of [...metaList(m, 'to'), ...metaList(m, 'cc')]) {
    const k = a.trim().toLowerCase()
    if (k && !skip.has(k) && !out.includes(k)) out.push(k)
  }
  return out
}

/** parseAddresses reads a list of e-mail addresses separated by commas, semicolons or spaces. */
export function parseAddresses(s: string): string[] {
  return [...new Set(s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean))]
}

export function validEmail(s: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)
}

/** formatSize shows a byte count as B, KB or MB. */
export function formatSize(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${Math.round(n / 1024)} KB` : `${(n / 1048576).toFixed(1)} MB`
}

/** ownAddresses are an e-mail channel's own addresses (settings.addresses). */
export function ownAddresses(ch?: Channel): string[] {
  const a = ch?.settings?.addresses
  return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : []
}

/** cannedMatches filters canned responses by a query on title and text. */
export function cannedMatches<T extends { title: string; text: string }>(list: T[], q: string): T[] {
  const s = q.trim().toLowerCase()
  if (!s) return list
  return list.filter((c) => c.title.toLowerCase().includes(s) || c.text.toLowerCase().includes(s))
}

/**
 * hashQuery finds a `#word` being typed right before the caret, for the
 * canned response shortcut; returns where it starts and the word, or null.
 */
export function hashQuery(text: string, caret: number): { start: number; q: string } | null {
  const before = text.slice(0, caret)
  const m = /(^|\s)#([\p{L}\p{N}_-]*)$/u.exec(before)
  if (!m) return null
  return { start: caret - m[2].length - 1, q: m[2] }
}

/**
 * replyWindow is the time left (ms) to answer on a channel with a
 * customer-service window (capabilities.send_window_seconds): counted
 * from the customer's latest message on that channel; 0 when closed or
 * when the customer never wrote on it; null when the channel has no window.
 */
export function replyWindow(ch: Pick<Channel, 'id' | 'capabilities'> | undefined, messages: Message[], now: number): number | null {
  const secs = ch?.capabilities?.send_window_seconds ?? 0
  if (!ch || secs <= 0) return null
  let last = 0
  for (const m of messages) if (m.direction === 'in' && m.channel_id === ch.id && m.created_at > last) last = m.created_at
  return last ? Math.max(0, last + secs * 1000 - now) : 0
}

/** optedOut says whether the contact opted out of the channel's kind (e.g. sent STOP by SMS). */
export function optedOut(contact: Pick<Contact, 'opt_outs'> | undefined, ch: Pick<Channel, 'kind'> | undefined): boolean {
  return !!ch && !!contact?.opt_outs?.includes(ch.kind)
}

/** fillTemplate puts params into a template body's {{1}}, {{2}} …; an empty one stays a placeholder. */
export function fillTemplate(body: string, params: string[]): string {
  return body.replace(/\{\{(\d+)\}\}/g, (m, n) => params[Number(n) - 1]?.trim() || m)
}

/**
 * templateDefaults prefills a template's parameters where the meaning is
 * plain: {{1}} is the customer's name, a parameter right after "#" the
 * ticket number; others start empty.
 */
export function templateDefaults(tpl: Pick<Template, 'body' | 'params'>, ticket: { number: number; contact?: Pick<Contact, 'name'> }): string[] {
  const out = Array.from({ length: tpl.params }, () => '')
  if (out.length && ticket.contact?.name) out[0] = ticket.contact.name
  for (const m of tpl.body.matchAll(/#\{\{(\d+)\}\}/g)) {
    const i = Number(m[1]) - 1
    if (i >= 0 && i < out.length) out[i] = String(ticket.number)
  }
  return out
}

// GSM 03.38: the basic set takes one septet, the extension set two (escape + char).
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
)
const GSM_EXTENSION = new Set('^{}\\[~]|€')

/** SmsCount is how a text goes out by SMS: its characters, parts and encoding. */
export interface SmsCount {
  chars: number
  segments: number
  encoding: 'GSM-7' | 'UCS-2'
}

/**
 * smsCount counts a text's SMS segments: GSM-7 when every character is in
 * the GSM basic or extension set (extension characters take two septets;
 * 160 in one message, 153 per part of a longer one), else UCS-2 in UTF-16
 * code units (70, or 67 per part). A part never splits a character.
 */
export function smsCount(text: string): SmsCount {
  const chars = [...text]
  const gsm = chars.every((c) => GSM_BASIC.has(c) || GSM_EXTENSION.has(c))
  const sizes = gsm ? chars.map((c) => (GSM_EXTENSION.has(c) ? 2 : 1)) : chars.map((c) => c.length)
  const [single, part] = gsm ? [160, 153] : [70, 67]
  const total = sizes.reduce((a, b) => a + b, 0)
  let segments = total === 0 ? 0 : 1
  if (total > single) {
    let used = 0
    for (const n of sizes) {
      if (used + n > part) {
        segments++
        used = 0
      }
      used += n
    }
  }
  return { chars: chars.length, segments, encoding: gsm ? 'GSM-7' : 'UCS-2' }
}

/** nearLimit says when to show a length counter: from 80 % of the channel's maximum. */
export function nearLimit(length: number, max: number | undefined): boolean {
  return !!max && length >= max * 0.8
}

// Refusals of a send that agents can act on, with their own explanation.
const SEND_ERRORS = ['outside_window', 'opted_out', 'no_address', 'unknown_template'] as const

/** sendError explains why a reply was refused: the known refusals in words, others with the server's message. */
export function sendError(e: unknown): string {
  if (e instanceof ApiError && (SEND_ERRORS as readonly string[]).includes(e.code)) return t(`composer.err_${e.code}` as MessageKey)
  return t('error.generic', { error: (e as Error).message })
}

// "Send later": a datetime-local input holds local wall-clock time without a zone.
const pad = (n: number) => String(n).padStart(2, '0')

/** localInput is the value of a datetime-local input for the instant ms, in the browser's time zone. */
export function localInput(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** parseLocalInput reads a datetime-local value as an instant (Unix ms); 0 when empty or invalid. */
export function parseLocalInput(s: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(s)
  if (!m) return 0
  const ms = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]).getTime()
  return Number.isNaN(ms) ? 0 : ms
}

/** defaultSendAt proposes the next whole hour at least 30 minutes from now. */
export function defaultSendAt(now: number): number {
  const d = new Date(now + 30 * 60_000)
  d.setMinutes(0, 0, 0)
  return d.getTime() + 3_600_000
}
