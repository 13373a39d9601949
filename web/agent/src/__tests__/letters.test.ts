import { describe, expect, it } from 'vitest'
import { extractedText, letterFormData, letterMeta, printedPdf, today } from '../letters'
import type { Message } from '../types'

const msg = (over: Partial<Message>): Message => ({
  id: 1, ticket_id: 1, kind: 'letter', direction: 'in', author_type: 'contact', text: '', attachments: [], created_at: 0, updated_at: 0, ...over,
} as Message)

describe('letters', () => {
  it('sends only the filled-in fields and the scan', () => {
    const file = new File(['%PDF-1.4'], 'brief.pdf', { type: 'application/pdf' })
    const d = letterFormData({ channel_id: 3, ticket_id: undefined, contact_id: 7, name: '', summary: 'Klacht', file })
    expect([...d.keys()].sort()).toEqual(['channel_id', 'contact_id', 'file', 'summary'])
    expect(d.get('contact_id')).toBe('7')
    expect((d.get('file') as File).name).toBe('brief.pdf')
  })

  it('reads a letter entry and splits its summary from the scan text', () => {
    const m = msg({ text: 'Klacht\n\nGeachte heer,\nmijn fiets…', meta: { letter: { received_on: '2026-12-02', summary: 'Klacht', text_source: 'pdftotext' } } })
    const meta = letterMeta(m)!
    expect(meta.received_on).toBe('2026-12-02')
    expect(extractedText(m, meta)).toBe('Geachte heer,\nmijn fiets…')
    expect(letterMeta(msg({ kind: 'message', meta: { other: 1 } }))).toBeNull()
  })

  it('finds the printed PDF of an answer only', () => {
    const pdf = { id: 9, message_id: 1, filename: 'letter.pdf', content_type: 'application/pdf', size: 10 }
    expect(printedPdf(msg({ direction: 'out', attachments: [pdf] }))?.id).toBe(9)
    expect(printedPdf(msg({ direction: 'in', attachments: [pdf] }))).toBeUndefined()
  })

  it('writes today as a date input wants it', () => {
    expect(today(new Date(2026, 0, 5))).toBe('2026-01-05')
  })
})
