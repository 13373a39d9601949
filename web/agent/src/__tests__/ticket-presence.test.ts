import { describe, expect, it } from 'vitest'
import { applyPresence, typingRecently, viewersOf } from '../presence'

describe('presence', () => {
  const ev = (type: any, id: number, at = 1) => ({ type, ticket_id: 7, agent: { id, name: `A${id}` }, time: at })
  it('tracks viewers, typing and leaving; forgets after 45 s; ignores me', () => {
    let m = applyPresence({}, ev('ticket.viewing', 2), 1000, 1)
    m = applyPresence(m, ev('ticket.typing', 3), 2000, 1)
    m = applyPresence(m, ev('ticket.viewing', 1), 2000, 1)
    expect(viewersOf(m, 7, 3000).map((v) => v.id)).toEqual([2, 3])
    expect(typingRecently(viewersOf(m, 7, 3000), 3000).map((v) => v.id)).toEqual([3])
    expect(typingRecently(viewersOf(m, 7, 18000), 18000)).toEqual([])
    expect(viewersOf(m, 7, 46000).map((v) => v.id)).toEqual([3])
    m = applyPresence(m, ev('ticket.left', 3), 5000, 1)
    expect(viewersOf(m, 7, 5000).map((v) => v.id)).toEqual([2])
  })
})
