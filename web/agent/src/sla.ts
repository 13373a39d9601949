// SLA display: which targets of a ticket are running, how much time is
// left, and whether that is fine, close (amber) or past due (red).
import type { Ticket } from './types'

export type SlaKind = 'first_response' | 'next_response' | 'resolution'
export type SlaLevel = 'ok' | 'warn' | 'breached'

export interface SlaTarget {
  kind: SlaKind
  due: number
  start: number
}

/** WARN_SHARE: amber when less than this share of the target time is left. */
export const WARN_SHARE = 0.2

/** slaTargets lists the running targets of t, earliest due first. */
export function slaTargets(t: Ticket): SlaTarget[] {
  const out: SlaTarget[] = []
  if (t.first_response_due) out.push({ kind: 'first_response', due: t.first_response_due, start: t.first_customer_at ?? t.created_at })
  if (t.next_response_due) out.push({ kind: 'next_response', due: t.next_response_due, start: t.last_customer_at ?? t.created_at })
  if (t.resolution_due) out.push({ kind: 'resolution', due: t.resolution_due, start: t.created_at })
  return out.sort((a, b) => a.due - b.due)
}

/** slaLevel: breached when past due (or flagged), warn when under 20% of the target is left. */
export function slaLevel(due: number, start: number, now: number, breached = false): SlaLevel {
  if (breached || now >= due) return 'breached'
  const total = due - start
  if (total > 0 && (due - now) / total < WARN_SHARE) return 'warn'
  if (total <= 0) return 'warn'
  return 'ok'
}

/** nextTarget is the target the list shows: the earliest running one. */
export function nextTarget(t: Ticket): SlaTarget | null {
  if (!t.sla_due) {
    const all = slaTargets(t)
    return all[0] ?? null
  }
  const all = slaTargets(t)
  return all.find((x) => x.due === t.sla_due) ?? { kind: 'resolution', due: t.sla_due, start: t.created_at }
}

/** splitDuration breaks ms (absolute value) into days, hours and minutes, rounding minutes up. */
export function splitDuration(ms: number): { d: number; h: number; m: number } {
  const mins = Math.ceil(Math.abs(ms) / 60000)
  return { d: Math.floor(mins / 1440), h: Math.floor((mins % 1440) / 60), m: mins % 60 }
}
