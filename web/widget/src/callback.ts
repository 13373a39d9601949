// The "call me back" form's rules: which days and times a visitor may
// choose (the next 7 days, in the visitor's own time zone), a first check
// of the number before the server's, and the confirmation. No DOM here.
import type { T } from './i18n'

/** Days ahead a visitor may choose, today included; the server allows 7. */
export const callbackDays = 7
/** Hours of the day offered (local time), from the first to before the last. */
export const callbackHours = [8, 20] as const
/** Minutes between offered times. */
export const callbackStep = 30
/** A time is offered only this long after now, so a person can plan it. */
export const callbackLead = 30 * 60_000

export interface Option {
  value: string
  label: string
}

/** dayKey is a local day as YYYY-MM-DD. */
function dayKey(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/** parseDay reads a YYYY-MM-DD day as local midnight. */
function parseDay(day: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null
}

/** dayOptions lists the days that still have a time to offer, from today. */
export function dayOptions(now: number, lang: string): Option[] {
  const out: Option[] = []
  const today = new Date(now)
  for (let i = 0; i < callbackDays; i++) {
    const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() + i)
    if (timeOptions(dayKey(d), now).length === 0) continue
    out.push({ value: dayKey(d), label: d.toLocaleDateString(lang, { weekday: 'long', day: 'numeric', month: 'long' }) })
  }
  return out
}

/** timeOptions lists the times of a day (HH:MM) at least callbackLead after now; none beyond callbackDays. */
export function timeOptions(day: string, now: number): string[] {
  const d = parseDay(day)
  const today = new Date(now)
  if (!d || d.getTime() >= new Date(today.getFullYear(), today.getMonth(), today.getDate() + callbackDays).getTime()) return []
  const out: string[] = []
  for (let min = callbackHours[0] * 60; min < callbackHours[1] * 60; min += callbackStep) {
    const at = new Date(d.getFullYear(), d.getMonth(), d.getDate(), Math.floor(min / 60), min % 60)
    if (at.getTime() >= now + callbackLead) out.push(`${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`)
  }
  return out
}

/** callbackAt is a chosen local day and time as RFC 3339 (UTC), or '' when either is missing or not offered. */
export function callbackAt(day: string, time: string, now: number): string {
  const d = parseDay(day)
  const m = /^(\d{2}):(\d{2})$/.exec(time)
  if (!d || !m || !timeOptions(day, now).includes(time)) return ''
  const at = new Date(d.getFullYear(), d.getMonth(), d.getDate(), Number(m[1]), Number(m[2]))
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * plausibleNumber says whether a typed phone number is worth sending: 6 to
 * 15 digits, with spaces, dashes, dots, slashes, brackets and a leading +
 * allowed. The server decides whether it can be called.
 */
export function plausibleNumber(s: string): boolean {
  const t = s.trim()
  if (!/^\+?[\d\s\-./()]+$/.test(t)) return false
  const digits = t.replace(/\D/g, '').length
  return digits >= 6 && digits <= 15
}

/** confirmation is what the chat says once the request is recorded. */
export function confirmation(t: T, number: string, at: string | undefined, lang: string): string {
  if (!at) return t('callbackSoon', { number })
  const d = new Date(at)
  const when = `${d.toLocaleDateString(lang, { weekday: 'long', day: 'numeric', month: 'long' })} ${d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })}`
  return t('callbackAt', { number, when })
}
