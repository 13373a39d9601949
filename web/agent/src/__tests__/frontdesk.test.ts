import { describe, expect, it } from 'vitest'
import { createApp, h } from 'vue'
import MessageItem from '../components/MessageItem.vue'
import { visitEntry } from '../frontdesk'
import type { Message } from '../types'

const visit: Message = {
  id: 9, ticket_id: 1, kind: 'visit', direction: 'in', author_type: 'contact', text: 'Visitor A007 checked in: parking permit',
  attachments: [], created_at: 0, updated_at: 0,
  meta: { number: 'A007', status: 'done', topic: 'parking permit', counter: 'Desk 2', waited_ms: 240_000, served_ms: 390_000, notes: 'Permit renewed' },
}

describe('front desk visits on the timeline', () => {
  it('reads a visit entry, hiding the wait until the visitor was called', () => {
    expect(visitEntry(visit.meta)).toEqual({
      number: 'A007', status: 'done', topic: 'parking permit', counter: 'Desk 2', waitedMs: 240_000, servedMs: 390_000, notes: 'Permit renewed',
    })
    expect(visitEntry({ number: 'A008', status: 'waiting', waited_ms: 0 })?.waitedMs).toBeUndefined()
    expect(visitEntry({ event: 'ticket.changed' })).toBeNull()
    expect(visitEntry(undefined)).toBeNull()
  })

  it('shows the number, the waited and served times and the notes on the visit entry', () => {
    const el = document.createElement('div')
    const app = createApp({ render: () => h(MessageItem, { message: visit, contactName: 'Jan' }) })
    app.mount(el)
    const details = el.querySelector('[data-testid="visit-details"]')!
    expect(details.textContent).toContain('A007')
    expect(details.textContent).toContain('Desk 2')
    expect(el.querySelector('[data-testid="visit-waited"]')!.textContent).toBe('4 min')
    expect(el.querySelector('[data-testid="visit-served"]')!.textContent).toBe('6 min')
    expect(details.textContent).toContain('Permit renewed')
    app.unmount()
  })
})
