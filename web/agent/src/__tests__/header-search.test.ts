import { describe, expect, it } from 'vitest'
import { searchTarget } from '../logic'
import type { Contact, Ticket } from '../types'

const ticket = { id: 3 } as Ticket
const contact = { id: 9, number: 'C-000009' } as Contact

describe('header search', () => {
  it('opens the customer for a customer number, not one of their tickets', () => {
    expect(searchTarget({ exact: { kind: 'contact', id: 9 }, tickets: [ticket], contacts: [contact] }, 'C-000009')).toBe('/contacts/9')
    expect(searchTarget({ exact: { kind: 'contact', id: 9 }, tickets: [ticket], contacts: [contact] }, ' c-000009 ')).toBe('/contacts/9')
  })
  it('opens the newest ticket for a phone number or e-mail address, the customer when there is none', () => {
    expect(searchTarget({ exact: { kind: 'contact', id: 9 }, tickets: [ticket], contacts: [contact] }, '+31 6 1234 5678')).toBe('/tickets/3')
    expect(searchTarget({ exact: { kind: 'contact', id: 9 }, tickets: [], contacts: [contact] }, 'jan@example.nl')).toBe('/contacts/9')
  })
  it('opens the ticket for a ticket number', () => {
    expect(searchTarget({ exact: { kind: 'ticket', id: 3 }, tickets: [ticket], contacts: [] }, '#10003')).toBe('/tickets/3')
  })
  it('shows the results for anything else', () => {
    expect(searchTarget({ tickets: [ticket], contacts: [] }, 'bike')).toEqual({ name: 'search', query: { q: 'bike' } })
  })
})
