import { describe, expect, it } from 'vitest'
import { addressLabel, defaultRecipient, replyChannels } from '../compose'
import type { Channel, Contact, TicketDetail } from '../types'

const reaches: Record<string, string[]> = { api: ['email', 'phone', 'external'], webchat: ['web'], email: ['email'], pigeon: ['external'] }
const ch = (id: number, kind: string, enabled = true): Channel =>
  ({ id, kind, name: `${kind} ${id}`, settings: {}, enabled, created_at: 0, updated_at: 0, secrets_set: [],
    capabilities: { identities: reaches[kind] } }) as Channel
const channels = [ch(1, 'api'), ch(2, 'webchat'), ch(3, 'email'), ch(4, 'email', false)]
const contact = (identities: Contact['identities']): Contact =>
  ({ id: 1, number: 'C-000001', name: 'Visitor 4821', language: '', attributes: {}, verified: false, identities, created_at: 0, updated_at: 0 })

describe('reply channels and addresses', () => {
  it('offers a website visitor only the website chat, never the API channel', () => {
    const visitor = { channel_id: 2, contact: contact([{ kind: 'web', value: 'srcQHu0aZ' }]) }
    expect(replyChannels(channels, visitor).map((c) => c.id)).toEqual([2])
  })

  it('offers every enabled channel that reaches one of the customer addresses, the ticket channel first', () => {
    const jan = { channel_id: 3, contact: contact([{ kind: 'email', value: 'jan@example.nl' }, { kind: 'web', value: 'v1' }]) }
    expect(replyChannels(channels, jan).map((c) => c.id)).toEqual([3, 1, 2])
  })

  it('never offers a telephone channel, even on a ticket a call opened', () => {
    const phone = { ...ch(5, 'voice'), capabilities: { no_replies: true } } as Channel
    const caller = { channel_id: 5, contact: contact([{ kind: 'phone', value: '+31612345678' }, { kind: 'email', value: 'jan@example.nl' }]) }
    expect(replyChannels([...channels, phone], caller).map((c) => c.id)).toEqual([1, 3])
  })

  it('answers a visitor on the website chat with a readable address', () => {
    const t = { contact: contact([{ kind: 'web', value: 'srcQHu0aZ' }]), messages: [] } as unknown as TicketDetail
    const to = defaultRecipient(t, ch(2, 'webchat'))!
    expect(to.value).toBe('srcQHu0aZ')
    expect(addressLabel(to)).toBe('Website chat')
    expect(addressLabel({ kind: 'email', value: 'jan@example.nl' })).toBe('jan@example.nl')
  })

  it('follows what a kind it has never heard of says it can carry', () => {
    const loft = { channel_id: 9, contact: contact([{ kind: 'external', value: 'loft-7' }, { kind: 'web', value: 'v1' }]) }
    const withPigeon = [...channels, ch(9, 'pigeon')]
    expect(replyChannels(withPigeon, loft).map((c) => c.id)).toEqual([9, 1, 2])
    const t = { contact: loft.contact, messages: [] } as unknown as TicketDetail
    expect(defaultRecipient(t, ch(9, 'pigeon'))?.value).toBe('loft-7')
  })
})
