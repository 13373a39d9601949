import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { applyTicket, previewMessage } from '../logic'
import { useDesk } from '../stores/desk'
import type { Agent, Message, Ticket } from '../types'

const me: Agent = { id: 7, email: 'a@x', name: 'A', role: 'agent', language: 'en', disabled: false, team_ids: [1], created_at: 0 }
const tk = (over: Partial<Ticket> = {}): Ticket =>
  ({ id: 1, number: 10001, contact_id: 1, subject: 'Bike', status: 'open', priority: 'normal', tags: [], created_at: 1, updated_at: 100, ...over })
const msg = (over: Partial<Message> = {}): Message =>
  ({ id: 5, ticket_id: 1, kind: 'message', direction: 'in', author_type: 'contact', text: 'Where  is\nmy bike?', attachments: [], created_at: 1, updated_at: 1, ...over })

describe('ticket list requester and preview', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    localStorage.clear()
    vi.useFakeTimers()
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ tickets: [] }), { status: 200 })))
  })

  it('keeps the requester and preview when an event replaces the ticket', () => {
    const list = [tk({ requester: 'Jan Jansen', last_message: 'Hello' })]
    const next = applyTicket(list, tk({ status: 'pending', updated_at: 200 }), {}, 7)
    expect(next[0]).toMatchObject({ status: 'pending', requester: 'Jan Jansen', last_message: 'Hello' })
  })

  it('previews the newest customer or agent message, not notes or events', () => {
    const list = [tk({ requester: 'Jan Jansen', last_message: 'Hello' })]
    expect(previewMessage(list, msg())[0].last_message).toBe('Where is my bike?')
    expect(previewMessage(list, msg({ kind: 'event', text: 'status open → solved' }))).toBe(list)
    expect(previewMessage(list, msg({ kind: 'note', text: 'internal' }))).toBe(list)
    expect(previewMessage(list, msg({ text: 'x'.repeat(500) }))[0].last_message).toHaveLength(160)
  })

  it('updates the listed preview from the message event', () => {
    const d = useDesk()
    d.init(me)
    d.list = [tk({ requester: 'Jan Jansen', last_message: 'Hello' })]
    d.applyEvent({ type: 'message.created', ticket_id: 1, message_id: 5, message: msg({ direction: 'out', author_type: 'agent', text: 'It ships today.' }) })
    expect(d.list[0].last_message).toBe('It ships today.')
  })
})
