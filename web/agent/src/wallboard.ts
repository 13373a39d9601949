// Figures of the supervisors' wallboard: totals over the live queues, agents
// by presence, and today's service level against a target. No Vue, no
// fetch: unit-tested on their own.
import type { SLAGroup, Stats, Counts } from './reports/api'
import { PRESENCES, type AgentLoad, type Presence, type QueueRow } from './types'

/** Today is GET /api/v1/reports/today: the local day so far. */
export interface Today {
  from: string
  at: string
  tz: string
  volume: Counts
  solved: number
  first_response: Stats
  sla: SLAGroup
}

export const DEFAULT_TARGET = 80

/** parseTarget reads the service-level target in percent from the URL (?target=90); default 80. */
export function parseTarget(v: unknown): number {
  const n = typeof v === 'string' && /^\d{1,3}(\.\d)?$/.test(v) ? Number(v) : NaN
  return n > 0 && n <= 100 ? n : DEFAULT_TARGET
}

/** queueTotals adds up what waits and finds the longest wait. */
export function queueTotals(rows: QueueRow[]): { waiting: number; longestMs: number } {
  let waiting = 0
  let longestMs = 0
  for (const r of rows) {
    waiting += r.waiting
    if (r.waiting > 0) longestMs = Math.max(longestMs, r.longest_wait_ms)
  }
  return { waiting, longestMs }
}

/** byPresence groups agents by presence (online first), each group busiest first. */
export function byPresence<A extends Pick<AgentLoad, 'presence' | 'load'> & { name: string }>(agents: A[]): { presence: Presence; agents: A[] }[] {
  return PRESENCES.map((presence) => ({
    presence,
    agents: agents.filter((a) => a.presence === presence).sort((a, b) => b.load - a.load || a.name.localeCompare(b.name)),
  }))
}

export type LevelState = 'met' | 'missed' | 'none'

/** serviceLevel is today's SLA attainment against target: none until a ticket is met or breached. */
export function serviceLevel(sla: Pick<SLAGroup, 'attainment_pct'> | undefined, target: number): { pct: number | null; state: LevelState } {
  const pct = sla?.attainment_pct ?? null
  if (pct == null) return { pct, state: 'none' }
  return { pct, state: pct >= target ? 'met' : 'missed' }
}

/** browserZone is the IANA time zone the wall screen's day is read in. */
export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
