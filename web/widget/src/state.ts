// The widget's data and the pure rules over it: merging messages that
// arrive twice or out of order, which replies still need a receipt, what
// to tell a waiting visitor. No DOM and no network here, so it is tested
// on its own.
import type { T } from './i18n'

export interface Attachment {
  id: number
  filename: string
  content_type: string
  size: number
}

export interface QuickReply {
  id: string
  label: string
}

export interface Message {
  id: number
  conversation_id: number
  direction: 'in' | 'out'
  author: 'visitor' | 'agent' | 'bot' | 'system'
  author_name?: string
  text: string
  /** html is a bot answer's formatted version, sanitised by the server. */
  html?: string
  attachments: Attachment[]
  quick_replies?: QuickReply[]
  quick_reply?: string
  status?: string
  created_at: number
}

export interface Conversation {
  id: number
  status: string
  waiting: boolean
  bot: boolean
  rated: boolean
  agent_read_at?: number
  created_at: number
}

export interface Status {
  open: boolean
  back_at?: number
  staffed?: boolean
  estimated_wait_ms?: number
}

export interface Channel {
  id: number
  title: string
  color: string
  greeting: Record<string, string>
  avatar_url?: string
  prechat: boolean
  /** callbacks: the chat offers to call the visitor back. */
  callbacks?: boolean
}

export interface Visitor {
  name?: string
  email?: string
  verified: boolean
  language?: string
}

export interface Session {
  token?: string
  visitor: Visitor
  channel: Channel
  conversations: Conversation[]
  messages: Message[]
  status: Status
}

/** Frame is what the server sends on the visitor socket. */
export interface Frame {
  type: 'ready' | 'message' | 'conversation' | 'typing' | 'read' | 'status'
  message?: Message
  messages?: Message[]
  conversation?: Conversation
  conversations?: Conversation[]
  status?: Status
  conversation_id?: number
  at?: number
  name?: string
}

const statusRank: Record<string, number> = { queued: 1, sent: 2, delivered: 3, read: 4 }

export function rank(status?: string): number {
  return statusRank[status ?? ''] ?? 0
}

/**
 * mergeMessages adds incoming messages to list by id, keeping the furthest
 * delivery status when the same message comes twice, sorted by id.
 */
export function mergeMessages(list: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return list
  const byId = new Map(list.map((m) => [m.id, m]))
  for (const m of incoming) {
    const have = byId.get(m.id)
    if (!have || rank(m.status) >= rank(have.status)) byId.set(m.id, m)
  }
  return [...byId.values()].sort((a, b) => a.id - b.id)
}

/** upsertConversation replaces or adds a conversation, sorted by id. */
export function upsertConversation(list: Conversation[], c: Conversation): Conversation[] {
  return [...list.filter((x) => x.id !== c.id), c].sort((a, b) => a.id - b.id)
}

/**
 * answeredConversation takes the conversation state that came with the
 * answer to the visitor's own message. While the socket is live it only
 * adds a conversation the widget does not know: the socket reports every
 * later change in order, and an answer can arrive after them (the FAQ bot
 * may have handed over already), so it must not undo them.
 */
export function answeredConversation(list: Conversation[], c: Conversation, live: boolean): Conversation[] {
  return live && list.some((x) => x.id === c.id) ? list : upsertConversation(list, c)
}

export function latest(list: Conversation[]): Conversation | undefined {
  return list[list.length - 1]
}

export function lastId(list: Message[]): number {
  return list.length ? list[list.length - 1].id : 0
}

/** needsReceipt lists replies whose status is short of target (delivered or read). */
export function needsReceipt(list: Message[], target: 'delivered' | 'read', sent: Set<string>): number[] {
  const want = rank(target)
  return list
    .filter((m) => m.direction === 'out' && rank(m.status) >= rank('sent') && rank(m.status) < want && !sent.has(`${target}:${m.id}`))
    .map((m) => m.id)
}

/** seenMessageId is the last visitor message an agent has read, or 0. */
export function seenMessageId(list: Message[], c: Conversation | undefined): number {
  if (!c?.agent_read_at) return 0
  let id = 0
  for (const m of list) {
    if (m.conversation_id === c.id && m.direction === 'in' && m.created_at <= c.agent_read_at) id = m.id
  }
  return id
}

/** askRating says whether to ask for a rating of the latest conversation. */
export function askRating(c: Conversation | undefined): boolean {
  return !!c && (c.status === 'solved' || c.status === 'closed') && !c.rated
}

/** waitText tells a visitor what to expect, or '' when nothing needs saying. */
export function waitText(st: Status, c: Conversation | undefined, t: T, lang: string, verified: boolean, hasEmail: boolean): string {
  if (!st.open) {
    const when = st.back_at ? formatWhen(st.back_at, lang) : ''
    const leave = t('awayLeave', { email: verified || hasEmail ? t('awayEmail') : '' })
    return (when ? t('away', { when }) + ' ' : '') + leave
  }
  if (!c?.waiting) return ''
  if (st.staffed === false) return t('unstaffed')
  if (st.estimated_wait_ms === undefined) return t('waitUnknown')
  // Whole minutes, rounded up, as the FAQ bot tells them at its handover.
  const min = Math.ceil(st.estimated_wait_ms / 60000)
  return min <= 1 ? t('waitSoon') : t('waitMinutes', { n: min })
}

/** formatWhen names a moment like "Monday 09:00" in the visitor's language. */
export function formatWhen(ms: number, lang: string, now = Date.now()): string {
  const d = new Date(ms)
  const time = d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })
  const sameDay = new Date(now).toDateString() === d.toDateString()
  if (sameDay) return time
  return `${d.toLocaleDateString(lang, { weekday: 'long' })} ${time}`
}

/** backoff is the wait before reconnect attempt n (from 0): 1 s doubling to 30 s, ±20%. */
export function backoff(n: number, random = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(n, 5))
  return Math.round(base * (0.8 + 0.4 * random()))
}

/** clientId makes the id a message keeps across retries. */
export function clientId(): string {
  const b = new Uint8Array(12)
  crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

/** isImage says whether an attachment is shown inline. */
export function isImage(a: Attachment): boolean {
  return /^image\/(png|jpeg|gif|webp)$/.test(a.content_type)
}

export const maxUpload = 10 << 20
