import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useDesk } from '../stores/desk'
import { toasts } from '../stores/toasts'
import type { Agent, Message, Ticket, TicketDetail } from '../types'

const me: Agent = { id: 7, email: 'a@x', name: 'A', role: 'agent', language: 'en', disabled: false, team_ids: [1], created_at: 0 }
function tk(id: number, over: Partial<Ticket> = {}): Ticket {
  return { id, number: 10000 + id, contact_id: 1, subject: `T${id}`, status: 'new', priority: 'normal', tags: [], created_at: 1, updated_at: 100 + id, ...over }
}
function msg(id: number, over: Partial<Message> = {}): Message {
  return { id, ticket_id: 1, kind: 'message', author_type: 'agent', direction: 'out', text: 'hi', attachments: [], created_at: id, updated_at: id, ...over }
}

describe('desk store event application', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    localStorage.clear()
    toasts.splice(0)
    vi.useFakeTimers()
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ tickets: [] }), { status: 200 })))
  })

  it('adds a created ticket to a matching view and toasts', () => {
    const d = useDesk()
    d.init(me)
    d.view = 'unassigned'
    d.applyEvent({ type: 'ticket.created', ticket_id: 1, ticket: tk(1) })
    expect(d.list.map((x) => x.id)).toEqual([1])
    expect(toasts[0].text).toContain('#10001')
    expect(toasts[0].to).toBe('/tickets/1')
    expect(d.unread(d.list[0])).toBe(true)
  })

  it('drops a ticket assigned away from my view', () => {
    const d = useDesk()
    d.init(me)
    d.view = 'mine'
    d.list = [tk(1, { assignee_id: 7 }), tk(2, { assignee_id: 7 })]
    d.applyEvent({ type: 'ticket.updated', ticket_id: 1, ticket: tk(1, { assignee_id: 9, updated_at: 999 }) })
    expect(d.list.map((x) => x.id)).toEqual([2])
  })

  it('applies message events to the open ticket and marks it seen', () => {
    const d = useDesk()
    d.init(me)
    const detail: TicketDetail = { ...tk(1), contact: { id: 1, number: 'C-1', name: 'Jan', language: '', attributes: {}, verified: false, identities: [], created_at: 0, updated_at: 0 }, messages: [msg(1)] }
    d.current = detail
    d.applyEvent({ type: 'message.created', ticket_id: 1, message_id: 2, message: msg(2) })
    d.applyEvent({ type: 'message.created', ticket_id: 2, message_id: 3, message: msg(3, { ticket_id: 2 }) })
    expect(d.current!.messages.map((m) => m.id)).toEqual([1, 2])
    d.applyEvent({ type: 'message.updated', ticket_id: 1, message_id: 2, message: msg(2, { delivery_status: 'failed', updated_at: 50 }) })
    expect(d.current!.messages[1].delivery_status).toBe('failed')
    d.applyEvent({ type: 'ticket.updated', ticket_id: 1, ticket: tk(1, { status: 'solved', updated_at: 500 }) })
    expect(d.current!.status).toBe('solved')
    expect(d.current!.messages.length).toBe(2)
    expect(d.unread(tk(1, { updated_at: 500 }))).toBe(false)
    expect(JSON.parse(localStorage.getItem('loket.seen.7')!)).toEqual({ 1: 500 })
  })

  it('refetches the list when an event carries no ticket', async () => {
    const d = useDesk()
    d.init(me)
    d.view = 'all'
    d.filters = {}
    const f = vi.mocked(fetch)
    f.mockClear()
    d.list = []
    d.applyEvent({ type: 'ticket.updated', ticket_id: 4 })
    await vi.advanceTimersByTimeAsync(2000)
    expect(f.mock.calls.some(([u]) => String(u).startsWith('/api/v1/tickets'))).toBe(true)
  })
})
