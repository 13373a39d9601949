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
  }
  return null
}
