import { describe, expect, it } from 'vitest'
import { cannedMatches, defaultRecipient, hashQuery, identityKindsFor, parseAddresses, recipients, replyAllCc } from '../compose'
import type { Capabilities, Message, TicketDetail } from '../types'

// Channels as the API describes them: by what they can carry, not by kind.
const reach = (identities: string[]) => ({ capabilities: { identities } as Capabilities })
const email = reach(['email'])
const sms = reach(['phone'])
const api = reach(['email', 'phone', 'external'])

const msg = (p: Partial<Message>): Message => ({
  id: 1, ticket_id: 1, kind: 'message', author_type: 'contact', text: '', attachments: [], created_at: 0, updated_at: 0, ...p,
})

describe('composer helpers', () => {
  const ticket = {
    contact: {
      identities: [
        { kind: 'email', value: 'jan@example.nl' },
        { kind: 'email', value: 'jan@work.example' },
        { kind: 'phone', value: '+31612345678' },
      ],
    },
    messages: [
      msg({ id: 1, direction: 'in', address: { kind: 'phone', value: '+31612345678' } }),
      msg({ id: 2, direction: 'in', address: { kind: 'email', value: 'jan@work.example' }, meta: { to: ['support@shop.nl', 'boss@work.example'], cc: ['Anna@work.example', 'support@shop.nl'] } }),
      msg({ id: 3, direction: 'out', address: { kind: 'email', value: 'jan@example.nl' } }),
    ],
  } as unknown as TicketDetail
  it('offers only fitting identities', () => {
    expect(identityKindsFor(email)).toEqual(['email'])
    expect(identityKindsFor(api)).toEqual(['email', 'phone', 'external'])
    expect(identityKindsFor(reach([]))).toBeNull()
    expect(identityKindsFor(undefined)).toBeNull()
    expect(recipients(ticket, email).map((i) => i.value)).toEqual(['jan@example.nl', 'jan@work.example'])
    expect(recipients(ticket, sms).map((i) => i.value)).toEqual(['+31612345678'])
    expect(recipients(ticket, api)).toHaveLength(3)
    const chatted = { contact: { ...ticket.contact, attributes: { unverified_email: 'eva@example.nl' } } }
    expect(recipients(chatted, email).map((i) => i.value)).toEqual(['jan@example.nl', 'jan@work.example', 'eva@example.nl'])
    expect(recipients(chatted, sms).map((i) => i.value)).toEqual(['+31612345678'])
  })
  it('defaults to the last inbound address that fits the channel', () => {
    expect(defaultRecipient(ticket, email)?.value).toBe('jan@work.example')
    expect(defaultRecipient(ticket, sms)?.value).toBe('+31612345678')
    expect(defaultRecipient(ticket, api)?.value).toBe('jan@work.example')
  })
  it('replies to all without our own addresses or the recipient', () => {
    expect(replyAllCc(ticket.messages, ['support@shop.nl'], 'jan@work.example')).toEqual(['boss@work.example', 'anna@work.example'])
  })
  it('parses address lists and finds the # shortcut', () => {
    expect(parseAddresses('a@x.nl, b@y.nl;c@z.nl  a@x.nl')).toEqual(['a@x.nl', 'b@y.nl', 'c@z.nl'])
    expect(hashQuery('Hello #ret', 10)).toEqual({ start: 6, q: 'ret' })
    expect(hashQuery('#', 1)).toEqual({ start: 0, q: '' })
    expect(hashQuery('order#12', 8)).toBeNull()
    expect(cannedMatches([{ title: 'Returns', text: 'x' }, { title: 'Hi', text: 'y' }], 'ret')).toHaveLength(1)
  })
})
