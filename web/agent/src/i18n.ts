// A small typed dictionary. English (locales/en.ts) is built in and is the
// reference; the other languages are loaded when first used.
import { ref } from 'vue'
import { en, type Dictionary, type MessageKey } from './locales/en'
import type { Lang } from './types'

export { en }
export type { Dictionary, MessageKey }

// Other languages are separate chunks, fetched when first used.
const loaders: Record<Exclude<Lang, 'en'>, () => Promise<{ default: Dictionary }>> = {
  nl: () => import('./locales/nl'),
  de: () => import('./locales/de'),
}
const loaded: Partial<Record<Lang, Dictionary>> = { en }

/** loadDictionary fetches (once) and returns the dictionary of lang. */
export async function loadDictionary(lang: Lang): Promise<Dictionary> {
  if (!loaded[lang]) loaded[lang] = (await loaders[lang as Exclude<Lang, 'en'>]()).default
  return loaded[lang]!
}
export const LANGUAGES: { code: Lang; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'nl', name: 'Nederlands' },
  { code: 'de', name: 'Deutsch' },
]

export const locale = ref<Lang>('en')

let wanted: Lang = 'en'

/** setLocale switches the language once its dictionary is loaded (falls back to English). */
export async function setLocale(lang: string): Promise<void> {
  const l = (LANGUAGES.some((x) => x.code === lang) ? lang : 'en') as Lang
  wanted = l
  try {
    await loadDictionary(l)
  } catch {
    return // offline or a stale build: stay in the current language
  }
  if (wanted !== l) return // a later switch won
  locale.value = l
  if (typeof document !== 'undefined') document.documentElement.lang = l
}

export function translate(lang: Lang, key: MessageKey, params?: Record<string, string | number>): string {
  let s: string = loaded[lang]?.[key] ?? en[key] ?? key
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m))
  return s
}

/** t translates key in the current language (reactive: re-renders on switch). */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return translate(locale.value, key, params)
}

export function relativeTime(ms: number, now = Date.now()): string {
  const d = Math.max(0, now - ms) / 1000
  if (d < 60) return t('time.now')
  if (d < 3600) return t('time.min', { n: Math.floor(d / 60) })
  if (d < 86400) return t('time.hour', { n: Math.floor(d / 3600) })
  return t('time.day', { n: Math.floor(d / 86400) })
}

// Date formats follow the agent's language, not the browser's.
const DATE_LOCALES: Record<Lang, string> = { en: 'en-GB', nl: 'nl-NL', de: 'de-DE' }

/** dateTime shows an instant as date and time in the agent's language (7 Dec 2026, 15:51 / 7 dec 2026, 15:51). */
export function dateTime(ms: number): string {
  return new Date(ms).toLocaleString(DATE_LOCALES[locale.value], { dateStyle: 'medium', timeStyle: 'short' })
}

/** elapsed shows a measured wait: seconds under a minute, else whole minutes, hours and days. */
export function elapsed(ms: number): string {
  if (ms < 60_000) return t('dur.s', { s: Math.max(0, Math.round(ms / 1000)) })
  return duration(Math.floor(ms / 60_000) * 60_000)
}

/** duration shows a length of time as minutes, hours and minutes, or days and hours. */
export function duration(ms: number): string {
  const mins = Math.ceil(Math.abs(ms) / 60000)
  const d = Math.floor(mins / 1440)
  const h = Math.floor((mins % 1440) / 60)
  const m = mins % 60
  if (d > 0) return t('dur.dh', { d, h })
  if (h > 0) return t('dur.hm', { h, m })
  return t('dur.m', { m })
}
