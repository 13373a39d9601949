import { describe, expect, it } from 'vitest'
import { ApiError } from '../api'
import { fillTemplate, nearLimit, optedOut, replyWindow, sendError, smsCount, templateDefaults } from '../compose'
import { spansChannels } from '../timeline'
import type { Channel, Message } from '../types'

const msg = (p: Partial<Message>): Message => ({
  id: 1, ticket_id: 1, kind: 'message', author_type: 'contact', text: '', attachments: [], created_at: 0, updated_at: 0, ...p,
})
const wa = { id: 7, kind: 'whatsapp', capabilities: { send_window_seconds: 86400 } } as Channel
const H = 3_600_000

describe('SMS segments', () => {
  const a = (n: number) => 'a'.repeat(n)
  it.each([
    ['empty', '', 0, 0, 'GSM-7'],
    ['short GSM-7', 'Hello', 5, 1, 'GSM-7'],
    ['GSM-7 accents and ß', 'Grüße, Ñoño à été', 17, 1, 'GSM-7'],
    ['ú is not GSM-7', 'Ñandú', 5, 1, 'UCS-2'],
    ['line breaks are GSM-7', 'a\r\nb', 4, 1, 'GSM-7'],
    ['160 fit one', a(160), 160, 1, 'GSM-7'],
    ['161 need two', a(161), 161, 2, 'GSM-7'],
    ['306 fit two parts of 153', a(306), 306, 2, 'GSM-7'],
    ['307 need three', a(307), 307, 3, 'GSM-7'],
    ['extension chars count two: 80 € fit one', '€'.repeat(80), 80, 1, 'GSM-7'],
    ['81 € need two', '€'.repeat(81), 81, 2, 'GSM-7'],
    ['every extension char counts two', '^{}\\[~]|€'.repeat(20), 180, 3, 'GSM-7'],
    ['an extension char is not split over parts', a(152) + '{' + a(152), 305, 3, 'GSM-7'],
    ['ç (lower case) is not GSM-7', 'ça va', 5, 1, 'UCS-2'],
    ['70 UCS-2 units fit one', 'ą' + a(69), 70, 1, 'UCS-2'],
    ['71 UCS-2 units need two', 'ą' + a(70), 71, 2, 'UCS-2'],
    ['134 UCS-2 units fit two parts of 67', 'ą' + a(133), 134, 2, 'UCS-2'],
    ['an emoji is two UTF-16 units', '😀'.repeat(35), 35, 1, 'UCS-2'],
    ['36 emoji need two', '😀'.repeat(36), 36, 2, 'UCS-2'],
    ['a surrogate pair is not split over parts', a(66) + '😀' + a(66), 133, 3, 'UCS-2'],
  ])('%s', (_, text, chars, segments, encoding) => {
    expect(smsCount(text)).toEqual({ chars, segments, encoding })
  })
})

describe('reply window', () => {
  const now = 100 * H
  it('counts from the latest inbound message on that channel', () => {
    const messages = [
      msg({ direction: 'in', channel_id: 7, created_at: now - 30 * H }),
      msg({ direction: 'in', channel_id: 7, created_at: now - 20 * H }),
      msg({ direction: 'out', channel_id: 7, created_at: now - H }),
      msg({ direction: 'in', channel_id: 8, created_at: now - H }),
    ]
    expect(replyWindow(wa, messages, now)).toBe(4 * H)
  })
  it('is closed after the window and when the customer never wrote on the channel', () => {
    expect(replyWindow(wa, [msg({ direction: 'in', channel_id: 7, created_at: now - 25 * H })], now)).toBe(0)
    expect(replyWindow(wa, [msg({ direction: 'in', channel_id: 8, created_at: now })], now)).toBe(0)
    expect(replyWindow(wa, [], now)).toBe(0)
  })
  it('does not exist on channels without one', () => {
    expect(replyWindow({ id: 1, capabilities: {} }, [], now)).toBeNull()
    expect(replyWindow(undefined, [], now)).toBeNull()
  })
})

describe('templates, opt-outs and limits', () => {
  it('fills a template body; empty parameters stay visible', () => {
    expect(fillTemplate('Hi {{1}}, order #{{2}} is {{3}}.', ['Jan', ' 42 ', ''])).toBe('Hi Jan, order #42 is {{3}}.')
  })
  it('prefills the name for {{1}} and the ticket number after #', () => {
    const ticket = { number: 1234, contact: { name: 'Jan Jansen' } }
    expect(templateDefaults({ body: 'Hi {{1}}, about ticket #{{2}}: {{3}}', params: 3 }, ticket)).toEqual(['Jan Jansen', '1234', ''])
    expect(templateDefaults({ body: 'No params', params: 0 }, ticket)).toEqual([])
    expect(templateDefaults({ body: '{{1}}', params: 1 }, { number: 1, contact: { name: '' } })).toEqual([''])
  })
  it('knows who opted out of which kind', () => {
    expect(optedOut({ opt_outs: ['sms'] }, { kind: 'sms' })).toBe(true)
    expect(optedOut({ opt_outs: ['sms'] }, { kind: 'whatsapp' })).toBe(false)
    expect(optedOut({ opt_outs: null }, { kind: 'sms' })).toBe(false)
    expect(optedOut({}, undefined)).toBe(false)
  })
  it('shows a length counter from 80 % of the maximum', () => {
    expect(nearLimit(799, 1000)).toBe(false)
    expect(nearLimit(800, 1000)).toBe(true)
    expect(nearLimit(5000, undefined)).toBe(false)
  })
  it('explains refused sends in words', () => {
    expect(sendError(new ApiError(422, 'outside_window', 'outside the 24h window'))).toMatch(/window is closed/)
    expect(sendError(new ApiError(422, 'opted_out', 'x'))).toMatch(/opted out/)
    expect(sendError(new ApiError(422, 'no_address', 'x'))).toMatch(/no address/)
    expect(sendError(new ApiError(422, 'unknown_template', 'x'))).toMatch(/not \(or no longer\) approved/)
    expect(sendError(new ApiError(500, 'internal', 'boom'))).toMatch(/boom/)
  })
})

describe('channels of a ticket', () => {
  it('spans several channels only when messages went over more than one', () => {
    expect(spansChannels([{ channel_id: 1 }, { channel_id: 1 }, {}])).toBe(false)
    expect(spansChannels([{ channel_id: 1 }, { channel_id: 2 }])).toBe(true)
    expect(spansChannels([])).toBe(false)
  })
})
