// Paper letters: registering an incoming letter with its scan, reading a
// letter entry's details, and confirming a printed answer was posted.
import { request } from './api'
import type { Contact, Message, Ticket } from './types'

/** What POST /api/v1/letters answers. */
export interface RegisteredLetter {
  ticket: Ticket
  message: Message
  contact: Contact
}

/** The fields of a letter registration; the scan is a File. */
export interface LetterForm {
  channel_id: number
  ticket_id?: number
  contact_id?: number
  name?: string
  address?: string
  email?: string
  phone?: string
  received_at?: string
  summary?: string
  file: File
}

/** letterFormData is the multipart body of a registration; empty fields are left out. */
export function letterFormData(f: LetterForm): FormData {
  const d = new FormData()
  for (const [k, v] of Object.entries(f)) {
    if (k === 'file' || v === undefined || v === null || v === '' || v === 0) continue
    d.set(k, String(v))
  }
  d.set('file', f.file, f.file.name)
  return d
}

export const registerLetter = (f: LetterForm) => request<RegisteredLetter>('POST', '/api/v1/letters', letterFormData(f))
export const markPosted = (id: number) => request<Message>('POST', `/api/v1/messages/${id}/posted`)

/** What a letter entry's meta holds under "letter". */
export interface LetterMeta {
  received_on: string
  sender_address?: string
  summary?: string
  text_source?: 'pdftotext' | 'ocr'
  text_note?: string
}

export function letterMeta(m: Message): LetterMeta | null {
  const l = m.meta?.letter as Partial<LetterMeta> | undefined
  return l && typeof l.received_on === 'string' ? (l as LetterMeta) : null
}

/** extractedText is a letter entry's text without the summary that leads it. */
export function extractedText(m: Message, meta: LetterMeta): string {
  const s = meta.summary ?? ''
  return (s && m.text.startsWith(s) ? m.text.slice(s.length) : m.text).trim()
}

/** The printed PDF of an answer on a manual channel, once it is made. */
export function printedPdf(m: Message) {
  return m.direction === 'out' ? m.attachments?.find((a) => a.content_type === 'application/pdf') : undefined
}

/** today is the local date as YYYY-MM-DD, the default day a letter came. */
export function today(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}
