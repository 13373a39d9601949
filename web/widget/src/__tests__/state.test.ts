import { describe, expect, it } from 'vitest'
import { pickLang, translator } from '../i18n'
import {
  answeredConversation,
  askRating,
  backoff,
  mergeMessages,
  needsReceipt,
  seenMessageId,
  upsertConversation,
  waitText,
  type Conversation,
  type Message,
} from '../state'

const msg = (id: number, over: Partial<Message> = {}): Message => ({
  id,
  conversation_id: 1,
  direction: 'out',
  author: 'agent',
  text: `m${id}`,
  attachments: [],
  status: 'sent',
  created_at: id * 1000,
  ...over,
})
const conv = (over: Partial<Conversation> = {}): Conversation => ({ id: 1, status: 'open', waiting: false, bot: false, rated: false, created_at: 0, ...over })

describe('mergeMessages', () => {
  it('sorts by id, drops duplicates and keeps the furthest status', () => {
    const list = mergeMessages([msg(2, { status: 'read' })], [msg(3), msg(1), msg(2, { status: 'sent' })])
    expect(list.map((m) => m.id)).toEqual([1, 2, 3])
    expect(list[1].status).toBe('read')
    expect(mergeMessages(list, [msg(3, { status: 'delivered' })])[2].status).toBe('delivered')
  })
})

describe('needsReceipt', () => {
  it('lists replies short of the target once', () => {
    const list = [msg(1, { direction: 'in', status: undefined }), msg(2, { status: 'sent' }), msg(3, { status: 'delivered' }), msg(4, { status: 'read' })]
    expect(needsReceipt(list, 'delivered', new Set())).toEqual([2])
    expect(needsReceipt(list, 'read', new Set())).toEqual([2, 3])
    expect(needsReceipt(list, 'read', new Set(['read:2']))).toEqual([3])
  })
})

describe('seenMessageId', () => {
  it('is the last visitor message the agent had read', () => {
    const list = [msg(1, { direction: 'in' }), msg(2, { direction: 'in' }), msg(3, { direction: 'in' })]
    expect(seenMessageId(list, conv({ agent_read_at: 2500 }))).toBe(2)
    expect(seenMessageId(list, conv())).toBe(0)
    expect(seenMessageId(list, conv({ id: 9, agent_read_at: 9999 }))).toBe(0)
  })
})

describe('waitText', () => {
  const t = translator('en')
  it.each([
    ['not waiting', { open: true, estimated_wait_ms: 120000 }, conv(), ''],
    ['unknown estimate', { open: true }, conv({ waiting: true }), 'We will be with you shortly.'],
    ['two minutes', { open: true, estimated_wait_ms: 120000, staffed: true }, conv({ waiting: true }), 'Expected wait: about 2 min.'],
    ['moments', { open: true, estimated_wait_ms: 10000, staffed: true }, conv({ waiting: true }), 'A colleague will be with you in a moment.'],
    ['minutes round up', { open: true, estimated_wait_ms: 90000, staffed: true }, conv({ waiting: true }), 'Expected wait: about 2 min.'],
    ['nobody online', { open: true, estimated_wait_ms: 0, staffed: false }, conv({ waiting: true }), 'No one is available right now. Leave a message and we will answer as soon as we can.'],
  ])('%s', (_, st, c, want) => {
    expect(waitText(st, c, t, 'en', false, false)).toBe(want)
  })
  it('says when the team is back and offers e-mail when it knows an address', () => {
    const back = new Date(2030, 0, 7, 9, 0).getTime() // a Monday
    const text = waitText({ open: false, back_at: back }, undefined, t, 'en', false, true)
    expect(text).toContain('We are back Monday')
    expect(text).toContain('or by e-mail')
    expect(waitText({ open: false }, undefined, t, 'en', false, false)).toBe('Leave a message: we will answer here.')
  })
})

describe('askRating and conversations', () => {
  it('asks once a conversation is solved and not rated', () => {
    expect(askRating(conv({ status: 'solved' }))).toBe(true)
    expect(askRating(conv({ status: 'solved', rated: true }))).toBe(false)
    expect(askRating(conv({ status: 'open' }))).toBe(false)
    expect(upsertConversation([conv({ id: 2 }), conv({ id: 1 })], conv({ id: 1, status: 'solved' })).map((c) => [c.id, c.status])).toEqual([
      [1, 'solved'],
      [2, 'open'],
    ])
  })
})

describe('languages and reconnects', () => {
  it('picks the page language, then the browser, then English', () => {
    expect(pickLang(undefined, 'nl-NL', 'de')).toBe('nl')
    expect(pickLang('', 'fr', 'de-AT')).toBe('de')
    expect(pickLang('', 'fr', 'es')).toBe('en')
    expect(translator('de')('typing', { name: 'Anna' })).toBe('Anna schreibt…')
  })
  it('backs off from one second to half a minute', () => {
    expect(backoff(0, () => 0.5)).toBe(1000)
    expect(backoff(3, () => 0.5)).toBe(8000)
    expect(backoff(20, () => 0.5)).toBe(30000)
    expect(backoff(0, () => 0)).toBe(800)
  })
})

describe('answeredConversation', () => {
  const handedOver = conv({ id: 1, bot: false, waiting: true })
  const stale = conv({ id: 1, bot: true, waiting: false })
  it.each([
    ['keeps what the live socket said over an older answer', [handedOver], stale, true, [handedOver]],
    ['adds a conversation the socket has not reported yet', [handedOver], conv({ id: 2 }), true, [handedOver, conv({ id: 2 })]],
    ['takes the answer while the socket is down', [handedOver], stale, false, [stale]],
  ])('%s', (_, list, c, live, want) => {
    expect(answeredConversation(list, c, live)).toEqual(want)
  })
})
