// Who else is looking at a ticket: presence frames from the stream folded
// into a map, with viewers forgotten after 45 s without a viewing frame.
import type { StreamEvent } from './types'

export const VIEWER_TTL = 45_000
export const TYPING_RECENT = 15_000
export const VIEWING_EVERY = 20_000
export const TYPING_EVERY = 3_000

export interface Viewer {
  id: number
  name: string
  seen: number // last viewing or typing frame
  typing?: number // last typing frame
}

/** PresenceMap: ticket id → agent id → viewer. */
export type PresenceMap = Record<number, Record<number, Viewer>>

/** applyPresence returns the map after a ticket.viewing/typing/left event. */
export function applyPresence(map: PresenceMap, ev: StreamEvent, now: number, meId = 0): PresenceMap {
  const tid = ev.ticket_id
  const a = ev.agent
  if (!tid || !a || a.id === meId) return map
  const cur = { ...(map[tid] ?? {}) }
  if (ev.type === 'ticket.left') {
    if (!cur[a.id]) return map
    delete cur[a.id]
  } else if (ev.type === 'ticket.viewing' || ev.type === 'ticket.typing') {
    const prev = cur[a.id]
    cur[a.id] = {
      id: a.id,
      name: a.name || `#${a.id}`,
      seen: now,
      typing: ev.type === 'ticket.typing' ? now : prev?.typing,
    }
  } else {
    return map
  }
  return { ...map, [tid]: cur }
}

/** viewersOf lists the agents seen on a ticket within the TTL, by name. */
export function viewersOf(map: PresenceMap, ticketId: number, now: number): Viewer[] {
  return Object.values(map[ticketId] ?? {})
    .filter((v) => now - v.seen < VIEWER_TTL)
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** typingRecently: the viewers who typed within the last 15 s (the send confirmation). */
export function typingRecently(viewers: Viewer[], now: number, within = TYPING_RECENT): Viewer[] {
  return viewers.filter((v) => v.typing !== undefined && now - v.typing < within)
}

/** throttle says whether enough time passed since last to send again. */
export function due(last: number, now: number, every: number): boolean {
  return now - last >= every
}
