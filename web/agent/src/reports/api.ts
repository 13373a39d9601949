// The reports API: its answers' shapes and a composable that loads one
// report whenever the query changes (the newest request wins).
import { ref, watch, type Ref } from 'vue'
import { request } from '../api'

export interface Counts { tickets: number; messages_in: number; messages_out: number }
export interface Stats { count: number; median_ms: number; p90_ms: number; mean_ms: number }
export interface VolumeFigures {
  total: Counts
  by_channel: (Counts & { id: number })[] | null
  by_team: (Counts & { id: number })[] | null
  heatmap: (Counts & { weekday: number; hour: number })[] | null
  series: (Counts & { start: string; channels: (Counts & { channel_id: number; ticket_share_pct: number | null })[] | null })[] | null
}
export interface SpeedGroup {
  id: number
  first_response: Stats
  first_response_business: Stats
  next_response: Stats
  next_response_business: Stats
  resolution: Stats
  resolution_business: Stats
  /** How long agents had the ticket open, all together; the same in business and calendar time. */
  handling: Stats
}
export interface SpeedFigures { total: SpeedGroup; by_channel: SpeedGroup[] | null; by_team: SpeedGroup[] | null; by_agent: SpeedGroup[] | null }
export interface SLAGroup {
  policy: string
  channel_id: number
  met: number
  breached: number
  pending: number
  attainment_pct: number | null
  first_response_breached: number
  next_response_breached: number
  resolution_breached: number
}
export interface SLAFigures {
  total: SLAGroup
  by_policy: SLAGroup[] | null
  by_channel: SLAGroup[] | null
  breached_tickets: { id: number; number: number; policy: string; channel_id: number; targets: string[] }[] | null
  breached_truncated: boolean
}
export interface OutcomeGroup {
  id: number
  tickets: number
  solved: number
  one_touch: number
  one_touch_pct: number | null
  reopened: number
  reopen_pct: number | null
  bot_handled: number
  bot_resolved: number
  bot_handed_over: number
  bot_resolution_pct: number | null
  bot_hand_off_pct: number | null
  csat_count: number
  csat_average: number | null
  csat_distribution: number[]
}
export interface OutcomeFigures { total: OutcomeGroup; by_channel: OutcomeGroup[] | null; by_team: OutcomeGroup[] | null; by_agent: OutcomeGroup[] | null }

export interface Report<F> { from: string; to: string; previous_from: string; previous_to: string; tz: string; current: F; previous: F }
export interface ReportKinds { volume: VolumeFigures; speed: SpeedFigures; sla: SLAFigures; outcome: OutcomeFigures }
export type ReportKind = keyof ReportKinds

export const reportURL = (kind: ReportKind, query: string, csv = false) =>
  `/api/v1/reports/${kind}?${query}${csv ? '&format=csv' : ''}`

/** useReport loads report kind for the API query in query, again whenever it changes. */
export function useReport<K extends ReportKind>(kind: K, query: Ref<string>) {
  const data = ref<Report<ReportKinds[K]> | null>(null) as Ref<Report<ReportKinds[K]> | null>
  const error = ref('')
  const loading = ref(false)
  let seq = 0
  async function load() {
    const n = ++seq
    loading.value = true
    try {
      const r = await request<Report<ReportKinds[K]>>('GET', reportURL(kind, query.value))
      if (n !== seq) return
      data.value = r
      error.value = ''
    } catch (e) {
      if (n === seq) error.value = (e as Error).message
    } finally {
      if (n === seq) loading.value = false
    }
  }
  watch(query, load, { immediate: true })
  return { data, error, loading }
}
