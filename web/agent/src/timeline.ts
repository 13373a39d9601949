// Timeline events written by the server carry their plain values in
// meta ({"event": "routing.assigned", "agent": "Anna", "waited_ms": 62465});
// eventText shows them in the agent's language. The English text in the
// message body stays for API users and for events this app does not know.
import { dateTime, elapsed, t, type MessageKey } from './i18n'
import type { Message } from './types'

type Meta = Record<string, unknown>
interface Change {
  field: string
  from?: unknown
  to?: unknown
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '')
const list = (v: unknown) => (Array.isArray(v) && v.length ? v.map(str).join(', ') : t('ev.none'))
const key = (prefix: string, v: unknown, fallback: string) => {
  const k = `${prefix}.${str(v)}` as MessageKey
  const s = t(k)
  return s === k ? fallback : s
}

function change(c: Change, teamName: (id: number) => string): string | null {
  switch (c.field) {
    case 'status':
      return t('ev.status', { from: key('status', c.from, str(c.from)), to: key('status', c.to, str(c.to)) })
    case 'priority':
      return t('ev.priority', { from: key('priority', c.from, str(c.from)), to: key('priority', c.to, str(c.to)) })
    case 'team':
      return t('ev.team', { team: c.to ? teamName(Number(c.to)) : t('ev.none') })
    case 'assignee':
      return c.to ? t('ev.assigned', { name: str(c.to) }) : t('ev.unassigned')
    case 'subject':
      return t('ev.subject', { subject: str(c.to) })
    case 'skills':
      return t('ev.skills', { list: list(c.to) })
    case 'tags':
      return t('ev.tags', { list: list(c.to) })
    case 'bot':
      return c.to ? key('bot', c.to, str(c.to)) : t('ev.botStopped')
  }
  return null
}

/** eventText is the event's line in the agent's language, or null when meta does not describe it. */
export function eventText(m: Pick<Message, 'meta'>, teamName: (id: number) => string = (id) => `#${id}`): string | null {
  const meta = m.meta as Meta | undefined
  switch (meta?.event) {
    case 'ticket.changed': {
      if (!Array.isArray(meta.changes)) return null
      const parts = (meta.changes as Change[]).map((c) => change(c, teamName))
      return parts.every((p) => p !== null) ? parts.join('; ') : null
    }
    case 'routing.assigned':
      return t('ev.routed', { name: str(meta.agent), time: elapsed(Number(meta.waited_ms) || 0) })
    case 'routing.returned':
      return t('ev.returned')
    case 'sla.warning':
    case 'sla.breached': {
      const target = key('sla', meta.target, str(meta.target))
      const time = dateTime(Number(meta.due))
      return t(meta.event === 'sla.warning' ? 'ev.slaWarning' : 'ev.slaBreached', { target, time })
    }
    case 'contacts.merged':
      return t('ev.merged', { from: str(meta.from), into: str(meta.into) })
    case 'reply.approved':
      return t(meta.edited ? 'ev.replyApprovedEdited' : 'ev.replyApproved', { name: str(meta.reviewer) })
    case 'reply.returned':
      return t('ev.replyReturned', { name: str(meta.reviewer), comment: str(meta.comment) })
    case 'rule.ran': {
      const rule = str(meta.rule) || `#${str(meta.rule_id)}`
      if (str(meta.error)) return t('ev.ruleFailed', { rule, error: str(meta.error) })
      return t('ev.ruleRan', { rule, actions: Array.isArray(meta.actions) && meta.actions.length ? meta.actions.map(str).join('; ') : t('ev.none') })
    }
  }
  return null
}

/** ruleLink is where the admin edits the rule a rule.ran event names, or null for other messages. */
export function ruleLink(m: Pick<Message, 'meta'>): string | null {
  const meta = m.meta as Meta | undefined
  const id = Number(meta?.rule_id)
  return meta?.event === 'rule.ran' && id > 0 ? `/admin/rules?rule=${id}` : null
}

/** MessageChanges are what happened to a message after it arrived or was sent (its meta). */
export interface MessageChanges {
  /** Reactions grouped by emoji, in the order first seen. */
  reactions: { emoji: string; count: number }[]
  /** The customer's latest edit of the text (the stored text stays as first received). */
  edited?: { text: string; at: number }
  /** When the customer deleted the message. */
  deletedAt?: number
  /** The template the message was sent as. */
  template?: string
  /** The button the customer chose. */
  quickReply?: string
}

/** messageChanges reads reactions, edits, deletions, the template and a chosen button from a message's meta. */
export function messageChanges(meta: Meta | undefined): MessageChanges {
  const out: MessageChanges = { reactions: [] }
  const r = meta?.reactions
  if (r && typeof r === 'object' && !Array.isArray(r)) {
    const counts = new Map<string, number>()
    for (const e of Object.values(r)) if (typeof e === 'string' && e) counts.set(e, (counts.get(e) ?? 0) + 1)
    out.reactions = [...counts].map(([emoji, count]) => ({ emoji, count }))
  }
  const e = meta?.edited as { text?: unknown; at?: unknown } | undefined
  if (e && typeof e.text === 'string') out.edited = { text: e.text, at: Number(e.at) || 0 }
  if (typeof meta?.deleted_at === 'number') out.deletedAt = meta.deleted_at
  const tpl = meta?.template as { name?: unknown } | undefined
  if (tpl && typeof tpl.name === 'string' && tpl.name) out.template = tpl.name
  if (typeof meta?.quick_reply === 'string' && meta.quick_reply) out.quickReply = meta.quick_reply
  return out
}

/** spansChannels says whether a ticket's messages came and went over more than one channel. */
export function spansChannels(messages: Pick<Message, 'channel_id'>[]): boolean {
  return new Set(messages.map((m) => m.channel_id).filter(Boolean)).size > 1
}
