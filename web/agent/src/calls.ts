// Telephone calls in the agent app: who gets the caller pop-up, how a
// pop-up follows its call's events, and how calls read on the timeline
// and in the call log. No I/O here: the components fetch and render.
import { t, type MessageKey } from './i18n'
import type { Call, CallCause, CallDetail, CallState, Message, Ticket } from './types'

const RANK: Record<CallState, number> = { requested: 1, dialing: 1, ringing: 2, answered: 3, ended: 4 }

/** callOf reads the Call of a call entry (its meta), or null when the entry carries none. */
export function callOf(m: Pick<Message, 'kind' | 'meta'>): Call | null {
  const c = m.meta as Partial<Call> | undefined
  return m.kind === 'call' && c && typeof c.state === 'string' && c.state in RANK ? (c as Call) : null
}

/**
 * popsUpFor says whether an agent's app shows the caller pop-up for a call:
 * an inbound call that rings the agent's phone, or, when the telephone
 * system did not say whose phones ring, any inbound ringing call the agent
 * was told about (the server sends those only to agents who may see the
 * ticket).
 */
export function popsUpFor(c: Call, me: number): boolean {
  if (c.state !== 'ringing' || c.direction !== 'in' || !me) return false
  const ringing = c.ringing ?? []
  return ringing.length === 0 || ringing.includes(me)
}

/** clockText writes seconds as m:ss, or h:mm:ss from an hour. */
export function clockText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const pad = (n: number) => String(n).padStart(2, '0')
  if (s >= 3600) return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`
  return `${Math.floor(s / 60)}:${pad(s % 60)}`
}

/** talkSeconds is how long the customer and the agent talked: until now for a call in progress. */
export function talkSeconds(c: Call, now: number): number {
  if (!c.answered_at) return 0
  const end = c.state === 'ended' ? (c.ended_at ?? c.answered_at) : now
  return Math.max(0, Math.floor((end - c.answered_at) / 1000))
}

/** causeText says in the agent's language why a call ended unanswered, or '' for none. */
export function causeText(cause?: CallCause | string): string {
  if (!cause) return ''
  const k = `call.cause.${cause}` as MessageKey
  const s = t(k)
  return s === k ? cause : s
}

/** callerLabel names the caller: the contact's name, else the number, else "anonymous caller". */
export function callerLabel(c: Pick<Call, 'customer'>, name?: string): string {
  return name?.trim() || c.customer || t('call.anonymous')
}

/** isCallbackRequest: a customer asked to be called back and nobody did yet. */
export const isCallbackRequest = (c: Call) => c.state === 'requested'

/** needsCallBack: a missed call or an open callback request, which the timeline offers to call back. */
export const needsCallBack = (c: Call) => c.state === 'requested' || (c.state === 'ended' && !!c.missed && !c.called_back_at)

/** stateText is a call's state in a line: ringing, in progress, its duration, or why nobody answered. */
export function stateText(c: Call, now: number): string {
  switch (c.state) {
    case 'requested':
      return t('call.state.requested')
    case 'dialing':
      return t('call.state.dialing')
    case 'ringing':
      return t('call.state.ringing')
    case 'answered':
      return t('call.state.answered', { time: clockText(talkSeconds(c, now)) })
  }
  if (c.answered_at) return t('call.state.ended', { time: clockText(talkSeconds(c, now)) })
  if (c.cause === 'called_back') return causeText(c.cause)
  return c.cause ? t('call.state.unanswered', { cause: causeText(c.cause) }) : t('call.state.unansweredPlain')
}

/** openTickets are the caller's tickets still being worked (not solved or closed), newest first. */
export function openTickets(d: Pick<CallDetail, 'tickets'>): Ticket[] {
  return (d.tickets ?? []).filter((x) => x.status !== 'solved' && x.status !== 'closed')
}

/** lastContacts are the caller's latest tickets with their newest message, newest first. */
export function lastContacts(d: Pick<CallDetail, 'tickets'>, n = 3): Ticket[] {
  return [...(d.tickets ?? [])].sort((a, b) => b.updated_at - a.updated_at).slice(0, n)
}

// ---- The pop-up's lifecycle ----

/** CallPopup is one call on the agent's screen: ringing for them, or the call they are on. */
export interface CallPopup {
  call: Call
  phase: 'ringing' | 'onCall'
  /** The caller and their tickets, once fetched. */
  detail?: CallDetail
}

/** CallPopupChange is what one call.updated did to the pop-ups. */
export interface CallPopupChange {
  popups: CallPopup[]
  /** A pop-up appeared for this call: fetch its caller. */
  fetch?: number
  /** The ringing call ended unanswered: tell the agent they missed it. */
  missed?: CallPopup
}

/**
 * applyCallUpdate folds a call.updated into the pop-ups, oldest first:
 * a call ringing for the agent pops up; answered by them it becomes the
 * on-a-call bar; answered by another agent or ended, it goes. Events may
 * arrive late or twice: a call never goes back to an earlier state.
 */
export function applyCallUpdate(popups: CallPopup[], c: Call, me: number): CallPopupChange {
  const i = popups.findIndex((p) => p.call.message_id === c.message_id)
  const cur = i >= 0 ? popups[i] : undefined
  if (cur && RANK[c.state] < RANK[cur.call.state]) return { popups }
  const without = () => popups.filter((_, j) => j !== i)
  const put = (p: CallPopup) => (cur ? popups.map((x, j) => (j === i ? p : x)) : [...popups, p])
  if (c.state === 'answered' && c.agent_id === me && me) {
    return { popups: put({ ...cur, call: c, phase: 'onCall' }), fetch: cur ? undefined : c.message_id }
  }
  if (c.state === 'ringing' && (cur || popsUpFor(c, me))) {
    return { popups: put({ ...cur, call: c, phase: cur?.phase ?? 'ringing' }), fetch: cur ? undefined : c.message_id }
  }
  if (!cur) return { popups }
  if (c.state === 'ended' && cur.phase === 'ringing' && c.direction === 'in' && (c.missed || !c.answered_at)) {
    return { popups: without(), missed: { ...cur, call: c } }
  }
  if (c.state === 'answered' || c.state === 'ended') return { popups: without() }
  return { popups: put({ ...cur, call: c }) }
}

/** withDetail stores a fetched caller on its pop-up (if the pop-up is still there). */
export function withDetail(popups: CallPopup[], d: CallDetail): CallPopup[] {
  return popups.map((p) => (p.call.message_id === d.call.message_id ? { ...p, detail: d, call: newer(p.call, d.call) } : p))
}

/** newer is the later of two views of one call. */
export function newer(a: Call, b: Call): Call {
  return RANK[b.state] > RANK[a.state] ? b : a
}

// ---- Click-to-call ----

/** DialProblem says why a call could not be placed and what to do about it. */
export interface DialProblem {
  text: string
  /** Where the agent fixes it, with the link's words. */
  fix?: { to: string | { query: Record<string, string> }; label: string }
}

/** dialProblem turns the server's refusal of click-to-call into words and a next step. */
export function dialProblem(code: string, message: string, isAdmin: boolean): DialProblem {
  switch (code) {
    case 'no_phone':
      return { text: t('call.err.no_phone'), fix: { to: { query: { profile: 'phone' } }, label: t('call.err.no_phoneFix') } }
    case 'no_phone_channel':
      return isAdmin
        ? { text: t('call.err.no_phone_channel'), fix: { to: '/admin/channels', label: t('call.err.no_phone_channelFix') } }
        : { text: t('call.err.no_phone_channel') + ' ' + t('call.err.askAdmin') }
    case 'invalid_phone':
      return { text: t('call.err.invalid_phone') }
    case 'dial_failed':
      return { text: t('call.err.dial_failed', { reason: message }) }
  }
  return { text: t('error.generic', { error: message }) }
}

/** phoneNumbers are a contact's phone identities (E.164). */
export function phoneNumbers(c: { identities?: { kind: string; value: string }[] | null } | null | undefined): string[] {
  return (c?.identities ?? []).filter((i) => i.kind === 'phone' && i.value).map((i) => i.value)
}

/** latestOpenTicket is the ticket a call from the contact page is logged on: the newest one still open. */
export function latestOpenTicket(tickets: Ticket[]): Ticket | undefined {
  return openTickets({ tickets }).sort((a, b) => b.updated_at - a.updated_at)[0]
}

// ---- The call log ----

export type CallFilter = 'all' | 'missed' | 'requested'

/** callQuery is the call log's query string for a filter and a page (before: the oldest call shown). */
export function callQuery(f: CallFilter, before?: number, limit = 50): string {
  const p = new URLSearchParams()
  if (f === 'missed') p.set('missed', 'true')
  if (f === 'requested') p.set('state', 'requested')
  if (before) p.set('before', String(before))
  p.set('limit', String(limit))
  return '?' + p.toString()
}
