// Pure functions behind the stores: which tickets belong in a view, how
// realtime events change a list or a timeline, and unread markers.
import type { TicketQuery } from './api'
import type { Message, SearchResult, Ticket, TicketStatus } from './types'

export const ACTIVE: TicketStatus[] = ['new', 'open', 'pending', 'on_hold']

/** View keys: mine, unassigned, all, due, breached, team-<id>, status-<status>. */
export function viewQuery(view: string): TicketQuery {
  if (view === 'mine') return { assignee_id: 'me', status: ACTIVE }
  if (view === 'due') return { sort: 'due' }
  if (view === 'breached') return { breached: true, sort: 'due' }
  if (view === 'unassigned') return { assignee_id: 'none', status: ACTIVE }
  if (view.startsWith('team-')) return { team_id: Number(view.slice(5)), status: ACTIVE }
  if (view.startsWith('status-')) return { status: [view.slice(7) as TicketStatus] }
  return {}
}

export interface Filters {
  status?: string
  priority?: string
  tag?: string
}

/** effectiveQuery combines a view with the filter bar (filters win). */
export function effectiveQuery(view: string, f: Filters): TicketQuery {
  const q = { ...viewQuery(view) }
  if (f.status) q.status = [f.status as TicketStatus]
  if (f.priority) q.priority = f.priority
  if (f.tag) q.tag = f.tag.trim().toLowerCase()
  return q
}

/**
 * matches says whether ticket belongs in the list for q, or null when it
 * cannot be decided here (a text query): then the list must be refetched.
 */
export function matches(t: Ticket, q: TicketQuery, meId: number): boolean | null {
  if (q.q) return null
  if (q.status?.length && !q.status.includes(t.status)) return false
  if (q.team_id && t.team_id !== q.team_id) return false
  if (q.assignee_id === 'me' && t.assignee_id !== meId) return false
  if (q.assignee_id === 'none' && t.assignee_id) return false
  if (typeof q.assignee_id === 'number' && t.assignee_id !== q.assignee_id) return false
  if (q.priority && t.priority !== q.priority) return false
  if (q.tag && !t.tags.includes(q.tag.toLowerCase())) return false
  if (q.channel_id && t.channel_id !== q.channel_id) return false
  if (q.contact_id && t.contact_id !== q.contact_id) return false
  if (q.breached && !t.sla_breached) return false
  if (q.sort === 'due' && !t.sla_due) return false
  return true
}

/** byDue sorts the earliest SLA due time first (tickets without one last). */
export function byDue(a: Ticket, b: Ticket): number {
  return (a.sla_due ?? Infinity) - (b.sla_due ?? Infinity) || a.id - b.id
}

/** byUpdated sorts most recently updated first (ties: higher id first), like the API. */
export function byUpdated(a: Ticket, b: Ticket): number {
  return b.updated_at - a.updated_at || b.id - a.id
}

/**
 * applyTicket returns the list after a ticket changed: inserted or replaced
 * when it matches the view, removed when it no longer does. Older versions
 * of a ticket (events can arrive after a fresher fetch) never replace newer.
 */
export function applyTicket(list: Ticket[], t: Ticket, q: TicketQuery, meId: number): Ticket[] {
  const i = list.findIndex((x) => x.id === t.id)
  if (i >= 0 && list[i].updated_at > t.updated_at) return list
  const m = matches(t, q, meId)
  if (m === false) return i >= 0 ? list.filter((x) => x.id !== t.id) : list
  if (m === null && i < 0) return list // unknown: the caller refetches
  // Events carry the ticket without the list's requester and preview: keep them.
  if (i >= 0 && !t.requester && !t.last_message) t = { ...t, requester: list[i].requester, last_message: list[i].last_message }
  const next = i >= 0 ? list.map((x) => (x.id === t.id ? t : x)) : [...list, t]
  return next.sort(q.sort === 'due' ? byDue : byUpdated)
}

// Delivery progress, for versions of a message stamped in the same millisecond
// (an answer to POST can arrive after the event that already reports failure).
const DELIVERY_RANK: Record<string, number> = { scheduled: 0, queued: 0, cancelled: 1, sent: 1, failed: 2, delivered: 3, read: 4 }

/** isStale says whether incoming is older than have and must not replace it. */
export function isStale(have: Message, incoming: Message): boolean {
  if (have.updated_at !== incoming.updated_at) return have.updated_at > incoming.updated_at
  const a = DELIVERY_RANK[have.delivery_status ?? ''] ?? -1
  const b = DELIVERY_RANK[incoming.delivery_status ?? ''] ?? -1
  return a > b
}

/** previewMessage updates a listed ticket's preview when a customer or agent message arrives. */
export function previewMessage(list: Ticket[], m: Message): Ticket[] {
  if (m.kind !== 'message' || !m.text) return list
  const i = list.findIndex((x) => x.id === m.ticket_id)
  if (i < 0) return list
  const preview = m.text.split(/\s+/).filter(Boolean).join(' ').slice(0, 160)
  if (list[i].last_message === preview) return list
  const next = list.slice()
  next[i] = { ...list[i], last_message: preview }
  return next
}

/** applyMessage inserts or replaces a message in a timeline (oldest first). */
export function applyMessage(messages: Message[], m: Message): Message[] {
  const i = messages.findIndex((x) => x.id === m.id)
  if (i >= 0) {
    if (isStale(messages[i], m)) return messages
    const next = messages.slice()
    next[i] = m
    return next
  }
  return [...messages, m].sort((a, b) => a.created_at - b.created_at || a.id - b.id)
}

// Unread markers: the updated_at of each ticket when the agent last saw it,
// kept in localStorage per agent.

export type SeenMap = Record<string, number>
const MAX_SEEN = 2000

export function seenKey(agentId: number) {
  return `loket.seen.${agentId}`
}

export function loadSeen(storage: Storage, agentId: number): SeenMap {
  try {
    const v = JSON.parse(storage.getItem(seenKey(agentId)) ?? '{}')
    return v && typeof v === 'object' ? v : {}
  } catch {
    return {}
  }
}

export function markSeen(seen: SeenMap, t: Pick<Ticket, 'id' | 'updated_at'>): SeenMap {
  if ((seen[t.id] ?? 0) >= t.updated_at) return seen
  const next: SeenMap = { ...seen, [t.id]: t.updated_at }
  const keys = Object.keys(next)
  if (keys.length > MAX_SEEN) {
    keys.sort((a, b) => next[a] - next[b])
    for (const k of keys.slice(0, keys.length - MAX_SEEN)) delete next[k]
  }
  return next
}

export function saveSeen(storage: Storage, agentId: number, seen: SeenMap) {
  try {
    storage.setItem(seenKey(agentId), JSON.stringify(seen))
  } catch {
    // storage full or disabled: markers just do not persist
  }
}

export function isUnread(t: Pick<Ticket, 'id' | 'updated_at'>, seen: SeenMap): boolean {
  return (seen[t.id] ?? 0) < t.updated_at
}

/** parseTags reads a comma-separated tag field. */
export function parseTags(s: string): string[] {
  return [...new Set(s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean))].sort()
}

/** backoff gives the delay before reconnect attempt n (0-based), with jitter. */
export function backoff(n: number, rand = Math.random): number {
  const base = Math.min(15000, 500 * 2 ** n)
  return Math.round(base / 2 + (rand() * base) / 2)
}

/**
 * searchTarget is where a search from the header goes: a ticket number to
 * the ticket, a customer number to the customer (with all their tickets),
 * a customer's e-mail address or phone number to their newest ticket (the
 * customer when they have none), anything else to the results.
 */
export function searchTarget(r: SearchResult, q: string): string | { name: 'search'; query: { q: string } } {
  const exact = r.exact
  if (exact?.kind === 'ticket') return `/tickets/${exact.id}`
  if (exact?.kind === 'contact') {
    const number = r.contacts.find((c) => c.id === exact.id)?.number ?? ''
    if (number.toLowerCase() !== q.trim().toLowerCase() && r.tickets.length) return `/tickets/${r.tickets[0].id}`
    return `/contacts/${exact.id}`
  }
  return { name: 'search', query: { q } }
}
