// The website chat channel's settings as the admin form edits them.
import type { Lang } from './types'

export interface WebchatForm {
  name: string
  team_id: number
  enabled: boolean
  color: string
  title: string
  avatar_url: string
  greeting: Record<Lang, string>
  origins: string
  prechat: boolean
  bot: boolean
  bot_hours: 'always' | 'outside_business_hours'
  identity_secret: string
  /** callback_channel_id is the voice channel that takes "call me back" requests; 0 or absent: none. */
  callback_channel_id?: number
}

/** parseOrigins reads one origin per line (or comma separated): scheme://host[:port], or "*". */
export function parseOrigins(s: string): { ok: string[]; bad: string[] } {
  const ok: string[] = []
  const bad: string[] = []
  for (const raw of s.split(/[\s,]+/).filter(Boolean)) {
    const o = raw.replace(/\/+$/, '')
    if (o === '*' || /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(o)) {
      if (!ok.includes(o.toLowerCase())) ok.push(o.toLowerCase())
    } else {
      bad.push(raw)
    }
  }
  return { ok, bad }
}

/** webchatSettings is what the form saves; the identity secret only when typed (empty keeps it). */
export function webchatSettings(f: WebchatForm): Record<string, unknown> {
  const greeting: Partial<Record<Lang, string>> = {}
  for (const l of ['en', 'nl', 'de'] as Lang[]) if (f.greeting[l].trim()) greeting[l] = f.greeting[l].trim()
  const s: Record<string, unknown> = {
    color: f.color,
    title: f.title.trim(),
    greeting,
    avatar_url: f.avatar_url.trim(),
    allowed_origins: parseOrigins(f.origins).ok,
    prechat: f.prechat,
    bot: { enabled: f.bot, hours: f.bot_hours },
  }
  if (f.identity_secret) s.identity_secret = f.identity_secret
  if (f.callback_channel_id) s.callback_channel_id = f.callback_channel_id
  return s
}
