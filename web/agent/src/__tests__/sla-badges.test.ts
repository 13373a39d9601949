import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTarget, slaTargets } from '../sla'
import { useDesk } from '../stores/desk'
import type { Agent, Ticket, TicketDetail } from '../types'

const me: Agent = { id: 7, email: 'a@x', name: 'A', role: 'agent', language: 'en', disabled: false, team_ids: [1], created_at: 0 }
const base: Ticket = { id: 1, number: 10001, contact_id: 1, subject: 'Bike', status: 'new', priority: 'normal', tags: [], created_at: 1, updated_at: 100 }
const contact = { id: 1, number: 'C-1', name: 'Jan', language: '', attributes: {}, verified: false, identities: [], created_at: 0, updated_at: 0 }

describe('the open ticket follows its events', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    localStorage.clear()
    vi.useFakeTimers()
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ tickets: [] }), { status: 200 })))
  })

  it('drops due times the event no longer carries (the API omits empty fields)', () => {
    const d = useDesk()
    d.init(me)
    const open: TicketDetail = { ...base, first_response_due: 5000, next_response_due: 9000, sla_due: 5000, sla_breached: false, contact, messages: [] }
    d.current = open
    expect(slaTargets(d.current!).length).toBe(2)
    // After the agent's reply the server answers with no running due times.
    const replied: Ticket = { ...base, status: 'open', first_response_at: 200, last_agent_at: 200, updated_at: 200 }
    d.applyEvent({ type: 'ticket.updated', ticket_id: 1, ticket: replied })
    expect(d.current!.first_response_due).toBeUndefined()
    expect(d.current!.next_response_due).toBeUndefined()
    expect(slaTargets(d.current!)).toEqual([])
    expect(nextTarget(d.current!)).toBeNull()
    expect(d.current!.status).toBe('open')
    expect(d.current!.contact.name).toBe('Jan')
  })

  it('drops a csat comment or a breach the event no longer carries', () => {
    const d = useDesk()
    d.init(me)
    d.current = { ...base, sla_breached: true, tags: ['x'], contact, messages: [] }
    d.applyEvent({ type: 'ticket.updated', ticket_id: 1, ticket: { ...base, updated_at: 300 } })
    expect(d.current!.sla_breached).toBeUndefined()
  })

  it('ends the customer typing sign when the customer message arrives', () => {
    const d = useDesk()
    d.init(me)
    d.current = { ...base, contact, messages: [] }
    d.applyEvent({ type: 'ticket.contact_typing', ticket_id: 1 })
    expect(d.customerTyping[1]).toBeGreaterThan(0)
    d.applyEvent({
      type: 'message.created', ticket_id: 1, message_id: 5,
      message: { id: 5, ticket_id: 1, kind: 'message', direction: 'in', author_type: 'contact', text: 'hi', attachments: [], created_at: 1, updated_at: 1 },
    })
    expect(d.customerTyping[1]).toBeUndefined()
  })
})
