// Pure helpers of the reply composer: which addresses fit a channel, whom
// to answer by default, whom to copy when replying to all, attachments.
import { t } from './i18n'
import type { Channel, Identity, Message, TicketDetail } from './types'

/** MAX_ATTACHMENT is the largest file the API accepts (25 MiB). */
export const MAX_ATTACHMENT = 25 * 1024 * 1024

/** Reach is what the composer needs to know of a channel: what it can carry. */
export type Reach = Pick<Channel, 'capabilities'> | undefined

/** EMAIL reaches e-mail addresses, for reply-all over any channel's history. */
const EMAIL: Reach = { capabilities: { identities: ['email'] } }

/** identityKindsFor lists the kinds of address a channel can send to (its capabilities); null: any. */
export function identityKindsFor(ch: Reach): string[] | null {
  const ids = ch?.capabilities?.identities
  return ids && ids.length ? ids : null
}

export function fits(ch: Reach, id: Identity): boolean {
  const kinds = identityKindsFor(ch)
  return !kinds || kinds.includes(id.kind)
}

const same = (a: Identity, b: Identity) => a.kind === b.kind && a.value.toLowerCase() === b.value.toLowerCase()

/**
 * recipients lists the contact's identities that a channel can reach. An
 * e-mail address the customer typed into the website chat's form
 * (attributes.unverified_email) comes last for e-mail: it may be written
 * to, though it never identifies the customer.
 */
export function recipients(ticket: Pick<TicketDetail, 'contact'>, ch: Reach): Identity[] {
  const out = (ticket.contact?.identities ?? []).filter((i) => fits(ch, i))
  const typed = ticket.contact?.attributes?.unverified_email
  if (typeof typed === 'string' && typed && identityKindsFor(ch)?.includes('email')) {
    const extra: Identity = { kind: 'email', value: typed }
    if (!out.some((o) => same(o, extra))) out.push(extra)
  }
  return out
}

/**
 * replyChannels lists the channels a reply can go out on: the ticket's own
 * first, then every enabled channel on which the contact has an address of
 * a kind the channel reaches (a website visitor only by website chat).
 */
export function replyChannels(channels: Channel[], ticket: Pick<TicketDetail, 'contact' | 'channel_id'>): Channel[] {
  const own = ticket.channel_id
  return channels
    .filter((c) => c.id === own || (c.enabled && recipients(ticket, c).length > 0))
    .sort((a, b) => Number(b.id === own) - Number(a.id === own) || a.id - b.id)
}

/** addressLabel shows an address to agents; a website visitor's token means nothing to them. */
export function addressLabel(i: Identity): string {
  return i.kind === 'web' ? t('address.web') : i.value
}

/** lastInbound is the latest customer message (with an address) of the timeline. */
export function lastInbound(messages: Message[], ch?: Reach): Message | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]
    if (m.direction === 'in' && m.address && fits(ch, m.address)) return m
  }
  return undefined
}

/**
 * defaultRecipient picks whom a reply on channel ch goes to: the address of
 * the last inbound message that fits, else the first fitting identity.
 */
export function defaultRecipient(ticket: Pick<TicketDetail, 'contact' | 'messages'>, ch: Reach): Identity | undefined {
  const options = recipients(ticket, ch)
  const m = lastInbound(ticket.messages, ch)
  if (m?.address) return options.find((o) => same(o, m.address!)) ?? m.address
  return options[0]
}

function metaList(m: Message | undefined, key: 'cc' | 'to'): string[] {
  const v = m?.meta?.[key]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

/**
 * replyAllCc is the CC of a reply to all: the last inbound e-mail's CC and
 * other To addresses, without the channel's own addresses and the recipient.
 */
export function replyAllCc(messages: Message[], own: string[], to?: string): string[] {
  const m = lastInbound(messages, EMAIL)
  const skip = new Set([...own, to ?? ''].map((x) => x.toLowerCase()))
  const out: string[] = []
  for (const a of [...metaList(m, 'to'), ...metaList(m, 'cc')]) {
    const k = a.trim().toLowerCase()
    if (k && !skip.has(k) && !out.includes(k)) out.push(k)
  }
  return out
}

/** parseAddresses reads a list of e-mail addresses separated by commas, semicolons or spaces. */
export function parseAddresses(s: string): string[] {
  return [...new Set(s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean))]
}

export function validEmail(s: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)
}

/** formatSize shows a byte count as B, KB or MB. */
export function formatSize(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${Math.round(n / 1024)} KB` : `${(n / 1048576).toFixed(1)} MB`
}

/** ownAddresses are an e-mail channel's own addresses (settings.addresses). */
export function ownAddresses(ch?: Channel): string[] {
  const a = ch?.settings?.addresses
  return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : []
}

/** cannedMatches filters canned responses by a query on title and text. */
export function cannedMatches<T extends { title: string; text: string }>(list: T[], q: string): T[] {
  const s = q.trim().toLowerCase()
  if (!s) return list
  return list.filter((c) => c.title.toLowerCase().includes(s) || c.text.toLowerCase().includes(s))
}

/**
 * hashQuery finds a `#word` being typed right before the caret, for the
 * canned response shortcut; returns where it starts and the word, or null.
 */
export function hashQuery(text: string, caret: number): { start: number; q: string } | null {
  const before = text.slice(0, caret)
  const m = /(^|\s)#([\p{L}\p{N}_-]*)$/u.exec(before)
  if (!m) return null
  return { start: caret - m[2].length - 1, q: m[2] }
}
