// Customer surveys: a channel's survey settings as form values and back,
// and the figures over a list of answers (NPS and the CSAT average).
import { request } from './api'

/** SurveyTexts are a survey's messages in one language; empty ones take Loket's default. */
export interface SurveyTexts {
  csat: string
  nps: string
  /** The CSAT question with a link: {{link}} is the address. */
  link: string
  thanks: string
}

export const SURVEY_TEXT_KEYS = ['csat', 'nps', 'link', 'thanks'] as const

/** SurveyForm is what the channel forms edit. */
export interface SurveyForm {
  csat: boolean
  nps: boolean
  /** Wait after the solve, in minutes. */
  delay_minutes: number
  nps_interval_days: number
  /** The channel's own texts by language code; absent: the stored ones stay. */
  texts?: Record<string, SurveyTexts>
}

const emptyTexts = (): SurveyTexts => ({ csat: '', nps: '', link: '', thanks: '' })

/** surveyTextProblem says what is wrong with a language's texts, '' when nothing. */
export function surveyTextProblem(code: string, texts: SurveyTexts): '' | 'code' | 'link' {
  if (!/^[a-z]{2,8}$/.test(code)) return 'code'
  if (texts.link.trim() && !texts.link.includes('{{link}}')) return 'link'
  return ''
}

export const DEFAULT_DELAY_SECONDS = 3600
export const DEFAULT_NPS_INTERVAL_DAYS = 90

/** surveyForm reads a channel's settings.survey (absent: both off, the defaults). */
export function surveyForm(raw: unknown): SurveyForm {
  const s = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const delay = typeof s.delay_seconds === 'number' && s.delay_seconds >= 0 ? s.delay_seconds : DEFAULT_DELAY_SECONDS
  const days = typeof s.nps_interval_days === 'number' && s.nps_interval_days > 0 ? s.nps_interval_days : DEFAULT_NPS_INTERVAL_DAYS
  const texts: Record<string, SurveyTexts> = {}
  if (s.texts && typeof s.texts === 'object') {
    for (const [code, v] of Object.entries(s.texts as Record<string, Record<string, unknown>>)) {
      const tx = emptyTexts()
      for (const k of SURVEY_TEXT_KEYS) if (typeof v?.[k] === 'string') tx[k] = v[k] as string
      texts[code] = tx
    }
  }
  return { csat: s.csat === true, nps: s.nps === true, delay_minutes: Math.round(delay / 60), nps_interval_days: days, texts }
}

/** addSurveyLanguage adds a language with empty texts (the defaults) to the form, once. */
export function addSurveyLanguage(f: SurveyForm, code: string): void {
  const c = code.trim().toLowerCase()
  f.texts ??= {}
  if (c && !f.texts[c]) f.texts[c] = emptyTexts()
}

/**
 * surveySettings is settings.survey to save: previous (its texts and
 * anything else) with the form's values; a delay the minutes do not change
 * keeps its seconds. Undefined when there was none and both stay off.
 */
export function surveySettings(f: SurveyForm, previous: unknown): Record<string, unknown> | undefined {
  const prev = (previous && typeof previous === 'object' ? previous : undefined) as Record<string, unknown> | undefined
  if (!prev && !f.csat && !f.nps) return undefined
  const out: Record<string, unknown> = { ...(prev ?? {}), csat: f.csat, nps: f.nps }
  const minutes = Number.isFinite(f.delay_minutes) ? Math.max(0, Math.round(f.delay_minutes)) : DEFAULT_DELAY_SECONDS / 60
  const prevDelay = typeof prev?.delay_seconds === 'number' ? prev.delay_seconds : undefined
  out.delay_seconds = prevDelay !== undefined && Math.round(prevDelay / 60) === minutes ? prevDelay : minutes * 60
  const days = Number.isFinite(f.nps_interval_days) && f.nps_interval_days > 0 ? Math.round(f.nps_interval_days) : DEFAULT_NPS_INTERVAL_DAYS
  out.nps_interval_days = days
  if (f.texts) {
    const texts: Record<string, Partial<SurveyTexts>> = {}
    for (const [code, tx] of Object.entries(f.texts)) {
      const kept: Partial<SurveyTexts> = {}
      for (const k of SURVEY_TEXT_KEYS) if (tx[k].trim()) kept[k] = tx[k].trim()
      if (Object.keys(kept).length) texts[code] = kept
    }
    if (Object.keys(texts).length) out.texts = texts
    else delete out.texts
  }
  return out
}

/** withSurvey puts the survey into settings a channel form saves (removes it when undefined). */
export function withSurvey(settings: Record<string, unknown>, f: SurveyForm, previous: unknown): Record<string, unknown> {
  const out = { ...settings }
  const s = surveySettings(f, previous)
  if (s) out.survey = s
  else delete out.survey
  return out
}

export type SurveyKind = 'csat' | 'nps'

export interface SurveyAnswer {
  id: number
  ticket_id: number
  contact_id: number
  channel_id: number
  team_id?: number
  kind: SurveyKind
  language?: string
  answered_at?: number
  /** -1 until answered. */
  score: number
  comment?: string
  created_at: number
}

/** npsScore is promoters (9–10) minus detractors (0–6) in whole percent of the NPS answers; null without any. */
export function npsScore(list: Pick<SurveyAnswer, 'kind' | 'score'>[]): number | null {
  const scores = list.filter((a) => a.kind === 'nps' && a.score >= 0 && a.score <= 10).map((a) => a.score)
  if (!scores.length) return null
  const promoters = scores.filter((s) => s >= 9).length
  const detractors = scores.filter((s) => s <= 6).length
  return Math.round(((promoters - detractors) / scores.length) * 100)
}

/** csatAverage is the mean CSAT score (1–5) of the answers; null without any. */
export function csatAverage(list: Pick<SurveyAnswer, 'kind' | 'score'>[]): number | null {
  const scores = list.filter((a) => a.kind === 'csat' && a.score >= 1 && a.score <= 5).map((a) => a.score)
  if (!scores.length) return null
  return scores.reduce((a, b) => a + b, 0) / scores.length
}

export interface SurveyFilter {
  kind: '' | SurveyKind
  /** The period's first and last day (YYYY-MM-DD), read in the browser's time zone. */
  from: string
  to: string
  channel_id?: number | null
  team_id?: number | null
}

const midnight = (d: string, addDays = 0) => {
  const [y, m, day] = d.split('-').map(Number)
  return new Date(y, m - 1, day + addDays).getTime()
}

/** surveyQuery is the query of GET /api/v1/surveys: from the first day's start to the day after the last, in Unix ms. */
export function surveyQuery(f: SurveyFilter): string {
  const p = new URLSearchParams()
  if (f.kind) p.set('kind', f.kind)
  p.set('from', String(midnight(f.from)))
  p.set('to', String(midnight(f.to, 1)))
  if (f.channel_id) p.set('channel_id', String(f.channel_id))
  if (f.team_id) p.set('team_id', String(f.team_id))
  return p.toString()
}

export async function listSurveys(query: string): Promise<SurveyAnswer[]> {
  const r = await request<{ surveys: SurveyAnswer[] | null }>('GET', `/api/v1/surveys?${query}`)
  return (r?.surveys ?? []).filter((a) => a.score >= 0)
}
