import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { useDesk } from '../stores/desk'
import { toasts } from '../stores/toasts'
import { agent } from './fixtures'

describe('desk store: mentions and presence', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    localStorage.clear()
    toasts.splice(0)
  })
  it('toasts a mention only for the agent it names', async () => {
    const d = useDesk()
    d.init(agent(3, 'Petra'))
    const ticket = { id: 9, number: 10009, contact_id: 1, subject: 'Refund', status: 'open' as const, priority: 'normal' as const, tags: [], created_at: 0, updated_at: 0 }
    d.applyEvent({ type: 'agent.mentioned', ticket_id: 9, assignee_id: 4, agent: { id: 1, name: 'Jan' }, ticket })
    d.applyEvent({ type: 'agent.mentioned', ticket_id: 9, assignee_id: 3, agent: { id: 1, name: 'Jan' }, ticket })
    await nextTick()
    expect(toasts.map((x) => x.text)).toEqual(['Jan mentioned you on #10009: Refund'])
    expect(toasts[0].to).toBe('/tickets/9')
  })
  it('follows presence changes of colleagues and of itself', () => {
    const d = useDesk()
    d.init(agent(3, 'Petra', { presence: 'offline' }))
    d.agents = [agent(3, 'Petra'), agent(4, 'Kim')]
    const seen: string[] = []
    const stop = d.onEvent((ev) => seen.push(ev.type))
    d.applyEvent({ type: 'agent.presence', assignee_id: 4, presence: 'away' })
    d.applyEvent({ type: 'agent.presence', assignee_id: 3, presence: 'online' })
    stop()
    d.applyEvent({ type: 'agent.presence', assignee_id: 4, presence: 'online' })
    expect(d.agents.find((a) => a.id === 4)!.presence).toBe('online')
    expect(d.myPresence).toBe('online')
    expect(seen).toEqual(['agent.presence', 'agent.presence'])
  })
  it('notes when the customer types in the website chat', () => {
    const d = useDesk()
    d.init(agent(3, 'Petra'))
    const before = Date.now()
    d.applyEvent({ type: 'ticket.contact_typing', ticket_id: 9, agent: { id: 0, name: 'Jan' } })
    expect(d.customerTyping[9]).toBeGreaterThanOrEqual(before)
    expect(d.customerTyping[10]).toBeUndefined()
  })
  it('opens the ticket get-next returns, and says when nothing fits', async () => {
    const d = useDesk()
    d.init(agent(3, 'Petra'))
    const ticket = { id: 9, number: 10009, contact_id: 1, subject: 'Refund', status: 'open', priority: 'normal', tags: [], created_at: 0, updated_at: 5, assignee_id: 3 }
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(ticket), { status: 200 })))
    expect((await d.getNext())?.id).toBe(9)
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })))
    expect(await d.getNext()).toBeNull()
    vi.unstubAllGlobals()
  })
})
