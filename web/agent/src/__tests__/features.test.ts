import { describe, expect, it } from 'vitest'
import { cannedMatches, defaultRecipient, hashQuery, identityKindsFor, parseAddresses, recipients, replyAllCc } from '../compose'
import { duration, setLocale } from '../i18n'
import { applyTicket, viewQuery } from '../logic'
import { applyPresence, typingRecently, viewersOf } from '../presence'
import { nextTarget, slaLevel, slaTargets } from '../sla'
import type { Message, Ticket, TicketDetail } from '../types'

const tk = (p: Partial<Ticket>): Ticket => ({
  id: 1, number: 1, contact_id: 1, subject: 's', status: 'open', priority: 'normal', tags: [], created_at: 0, updated_at: 0, ...p,
})
const msg = (p: Partial<Message>): Message => ({
  id: 1, ticket_id: 1, kind: 'message', author_type: 'contact', text: '', attachments: [], created_at: 0, updated_at: 0, ...p,
})

describe('SLA', () => {
  const H = 3600_000
  it('levels: ok, amber under 20% left, red when past due or flagged', () => {
    expect(slaLevel(10 * H, 0, 5 * H)).toBe('ok')
    expect(slaLevel(10 * H, 0, 8.5 * H)).toBe('warn')
    expect(slaLevel(10 * H, 0, 10 * H)).toBe('breached')
    expect(slaLevel(10 * H, 0, 1 * H, true)).toBe('breached')
  })
  it('lists running targets earliest first and picks the one sla_due names', () => {
    const t = tk({ created_at: 0, first_response_due: 5 * H, resolution_due: 2 * H, sla_due: 2 * H })
    expect(slaTargets(t).map((x) => x.kind)).toEqual(['resolution', 'first_response'])
    expect(nextTarget(t)?.kind).toBe('resolution')
    expect(nextTarget(tk({}))).toBeNull()
  })
  it('formats durations in minutes, hours and days', async () => {
    await setLocale('en')
    expect(duration(59_000)).toBe('1 min')
    expect(duration(-(2 * H + 5 * 60_000))).toBe('2 h 5 min')
    expect(duration(50 * H)).toBe('2 d 2 h')
    await setLocale('de')
    expect(duration(30 * 60_000)).toBe('30 Min.')
    await setLocale('en')
  })
  it('due and breached views keep their tickets sorted by due time', () => {
    const q = viewQuery('due')
    let list = applyTicket([], tk({ id: 1, sla_due: 500 }), q, 1)
    list = applyTicket(list, tk({ id: 2, sla_due: 100 }), q, 1)
    list = applyTicket(list, tk({ id: 3 }), q, 1) // no SLA running: not in the view
    expect(list.map((x) => x.id)).toEqual([2, 1])
    expect(applyTicket([], tk({ id: 4, sla_due: 1 }), viewQuery('breached'), 1)).toEqual([])
    expect(applyTicket([], tk({ id: 4, sla_due: 1, sla_breached: true }), viewQuery('breached'), 1)).toHaveLength(1)
  })
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
    expect(identityKindsFor('email')).toEqual(['email'])
    expect(identityKindsFor('api')).toEqual(['email', 'phone', 'external'])
    expect(recipients(ticket, 'email').map((i) => i.value)).toEqual(['jan@example.nl', 'jan@work.example'])
    expect(recipients(ticket, 'whatsapp').map((i) => i.value)).toEqual(['+31612345678'])
    expect(recipients(ticket, 'api')).toHaveLength(3)
    const chatted = { contact: { ...ticket.contact, attributes: { unverified_email: 'eva@example.nl' } } }
    expect(recipients(chatted, 'email').map((i) => i.value)).toEqual(['jan@example.nl', 'jan@work.example', 'eva@example.nl'])
    expect(recipients(chatted, 'whatsapp').map((i) => i.value)).toEqual(['+31612345678'])
  })
  it('defaults to the last inbound address that fits the channel', () => {
    expect(defaultRecipient(ticket, 'email')?.value).toBe('jan@work.example')
    expect(defaultRecipient(ticket, 'sms')?.value).toBe('+31612345678')
    expect(defaultRecipient(ticket, 'api')?.value).toBe('jan@work.example')
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
