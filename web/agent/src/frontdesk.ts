// The front desk: visitors checked in at the office, their queue numbers,
// and the visit entries they leave on tickets' timelines.
import { request } from './api'

export type VisitStatus = 'waiting' | 'serving' | 'done' | 'no_show'

export interface Visit {
  id: number
  channel_id: number
  label: string
  ticket_id: number
  ticket_number: number
  contact_id: number
  contact_name: string
  contact_number: string
  message_id: number
  topic: string
  status: VisitStatus
  counter: string
  agent_id: number
  arrived_at: number
  called_at: number
  finished_at: number
  notes: string
}

export interface VisitQueue {
  waiting: Visit[]
  serving: Visit[]
  expected_wait_ms: number
  service_ms: number
}

export interface CheckIn {
  channel_id: number
  customer_number?: string
  phone?: string
  email?: string
  name?: string
  topic?: string
  ticket_number?: number
}

export const frontDeskAPI = {
  checkIn: (c: CheckIn) => request<Visit>('POST', '/api/v1/visits', c),
  queue: (channelID: number) => request<VisitQueue>('GET', `/api/v1/visits?channel_id=${channelID}`),
  /** callNext answers undefined when nobody waits. */
  callNext: (channelID: number, counter: string) =>
    request<Visit | undefined>('POST', '/api/v1/visits/next', { channel_id: channelID, counter }),
  done: (id: number, notes: string) => request<Visit>('POST', `/api/v1/visits/${id}/done`, { notes }),
  noShow: (id: number, notes: string) => request<Visit>('POST', `/api/v1/visits/${id}/no-show`, { notes }),
}

/** displayURL is the public waiting-room display of a front desk channel. */
export function displayURL(channelID: number): string {
  return `/desk/${channelID}/display`
}

/** VisitEntry is what a visit's timeline entry records (its meta). */
export interface VisitEntry {
  number: string
  status: VisitStatus | ''
  topic: string
  counter: string
  waitedMs?: number
  servedMs?: number
  notes: string
}

const text = (v: unknown) => (typeof v === 'string' ? v : '')
const ms = (v: unknown) => (typeof v === 'number' && v >= 0 ? v : undefined)

/** visitEntry reads a visit entry's meta, or null when it has no queue number. */
export function visitEntry(meta: Record<string, unknown> | undefined): VisitEntry | null {
  const number = text(meta?.number)
  if (!number) return null
  const status = text(meta?.status)
  return {
    number,
    status: (['waiting', 'serving', 'done', 'no_show'].includes(status) ? status : '') as VisitStatus | '',
    topic: text(meta?.topic),
    counter: text(meta?.counter),
    waitedMs: status === 'waiting' ? undefined : ms(meta?.waited_ms),
    servedMs: ms(meta?.served_ms),
    notes: text(meta?.notes),
  }
}

/** COUNTER_KEY keeps the agent's counter name in this browser. */
export const COUNTER_KEY = 'loket.frontdesk.counter'
