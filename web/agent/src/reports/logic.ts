// Pure helpers of the reports page: period presets, the filters in the URL
// query and in the API query, the change against the previous period and
// the shape of the heat map. No Vue, no fetch: unit-tested on their own.

export type Preset = '7d' | '30d' | 'month' | 'custom'
export const PRESETS: Preset[] = ['7d', '30d', 'month', 'custom']
export type Interval = 'day' | 'week'

export interface ReportFilters {
  preset: Preset
  /** Custom period, dates (YYYY-MM-DD) in the browser's time zone, to inclusive. */
  from: string
  to: string
  channel_id: number | null
  team_id: number | null
  agent_id: number | null
  tag: string
  interval: Interval
}

export const DEFAULT_FILTERS: ReportFilters = {
  preset: '7d', from: '', to: '', channel_id: null, team_id: null, agent_id: null, tag: '', interval: 'day',
}

const pad = (n: number) => String(n).padStart(2, '0')
/** isoDate is the local calendar date of d, YYYY-MM-DD. */
export function isoDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}
const DATE = /^\d{4}-\d{2}-\d{2}$/

/**
 * periodDates gives the first and last day (both included) of a preset,
 * read in the local time zone of now; custom takes from and to as given
 * (swapped when reversed), falling back to the last 7 days when incomplete.
 */
export function periodDates(f: Pick<ReportFilters, 'preset' | 'from' | 'to'>, now = new Date()): { from: string; to: string } {
  const today = isoDate(now)
  const daysAgo = (n: number) => isoDate(new Date(now.getFullYear(), now.getMonth(), now.getDate() - n))
  switch (f.preset) {
    case '30d':
      return { from: daysAgo(29), to: today }
    case 'month':
      return { from: isoDate(new Date(now.getFullYear(), now.getMonth(), 1)), to: today }
    case 'custom':
      if (DATE.test(f.from) && DATE.test(f.to)) return f.from <= f.to ? { from: f.from, to: f.to } : { from: f.to, to: f.from }
      return { from: daysAgo(6), to: today }
    default:
      return { from: daysAgo(6), to: today }
  }
}

function int(v: unknown): number | null {
  const s = Array.isArray(v) ? v[0] : v
  if (typeof s !== 'string' || !/^\d+$/.test(s)) return null
  const n = Number(s)
  return n > 0 ? n : null
}
function str(v: unknown): string {
  const s = Array.isArray(v) ? v[0] : v
  return typeof s === 'string' ? s : ''
}

/** filtersFromQuery reads the filters from a route query; unknown or bad values fall back to the defaults. */
export function filtersFromQuery(q: Record<string, unknown>): ReportFilters {
  const preset = str(q.period) as Preset
  const from = str(q.from)
  const to = str(q.to)
  const custom = DATE.test(from) && DATE.test(to)
  return {
    preset: PRESETS.includes(preset) && (preset !== 'custom' || custom) ? preset : custom ? 'custom' : '7d',
    from: custom ? from : '',
    to: custom ? to : '',
    channel_id: int(q.channel),
    team_id: int(q.team),
    agent_id: int(q.agent),
    tag: str(q.tag).trim(),
    interval: str(q.interval) === 'week' ? 'week' : 'day',
  }
}

/** filtersToQuery writes the filters as a route query, leaving out defaults, so that a view can be shared. */
export function filtersToQuery(f: ReportFilters): Record<string, string> {
  const q: Record<string, string> = {}
  if (f.preset === 'custom' && f.from && f.to) {
    q.period = 'custom'
    q.from = f.from
    q.to = f.to
  } else if (f.preset !== '7d' && f.preset !== 'custom') q.period = f.preset
  if (f.channel_id) q.channel = String(f.channel_id)
  if (f.team_id) q.team = String(f.team_id)
  if (f.agent_id) q.agent = String(f.agent_id)
  if (f.tag.trim()) q.tag = f.tag.trim()
  if (f.interval === 'week') q.interval = 'week'
  return q
}

/** apiQuery is the reports API's query string for the filters in time zone tz (from and to as dates, to included). */
export function apiQuery(f: ReportFilters, tz: string, now = new Date()): string {
  const { from, to } = periodDates(f, now)
  const p = new URLSearchParams({ from, to, tz })
  if (f.channel_id) p.set('channel_id', String(f.channel_id))
  if (f.team_id) p.set('team_id', String(f.team_id))
  if (f.agent_id) p.set('agent_id', String(f.agent_id))
  if (f.tag.trim()) p.set('tag', f.tag.trim())
  if (f.interval === 'week') p.set('interval', 'week')
  return p.toString()
}

/** browserZone is the IANA time zone of the browser (UTC when unknown). */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

export interface Change {
  dir: 'up' | 'down' | 'same' | 'none'
  /** Whole percent of the change against previous; null when previous is 0 or either is missing. */
  pct: number | null
}

/** change compares a figure with the previous period's. */
export function change(cur: number | null | undefined, prev: number | null | undefined): Change {
  if (cur == null || prev == null) return { dir: 'none', pct: null }
  if (cur === prev) return { dir: 'same', pct: 0 }
  const dir = cur > prev ? 'up' : 'down'
  if (prev === 0) return { dir, pct: null }
  return { dir, pct: Math.round((Math.abs(cur - prev) / Math.abs(prev)) * 100) }
}

export interface HeatCell {
  weekday: number
  hour: number
  tickets?: number
  messages_in?: number
  messages_out?: number
}
export type HeatMetric = 'tickets' | 'messages_in'

/** heatGrid shapes the 168 cells into 7 rows (Monday first) of 24 hours, and the largest value. */
export function heatGrid(cells: HeatCell[] | null | undefined, metric: HeatMetric = 'tickets'): { rows: number[][]; max: number } {
  const rows = Array.from({ length: 7 }, () => Array<number>(24).fill(0))
  let max = 0
  for (const c of cells ?? []) {
    if (c.weekday < 1 || c.weekday > 7 || c.hour < 0 || c.hour > 23) continue
    const v = (rows[c.weekday - 1][c.hour] += c[metric] ?? 0)
    if (v > max) max = v
  }
  return { rows, max }
}

/** shares turns counts into whole percentages of their sum (0 when the sum is 0). */
export function shares<T>(items: T[], value: (x: T) => number): { item: T; value: number; pct: number }[] {
  const sum = items.reduce((s, x) => s + value(x), 0)
  return items.map((item) => ({ item, value: value(item), pct: sum ? Math.round((value(item) / sum) * 1000) / 10 : 0 }))
}

/** byId finds the previous period's group with the same id (or key). */
export function byId<T>(list: T[] | null | undefined, key: (x: T) => unknown, k: unknown): T | undefined {
  return (list ?? []).find((x) => key(x) === k)
}
