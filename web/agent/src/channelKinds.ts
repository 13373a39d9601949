// The messaging channel kinds (WhatsApp, Telegram, SMS, Messenger,
// Instagram) described as data: which settings and secrets each takes, so
// that one form serves them all.
import { en, t, type MessageKey } from './i18n'
import type { Channel } from './types'

/** A setting of a messaging channel, shown as one input. */
export interface KindField {
  /** Its path in the settings (a dotted path reaches into an object), also a secret's name. */
  key: string
  /** Secrets are write-only: shown as "set", kept when left empty. */
  secret?: boolean
  optional?: boolean
  /** A choice instead of free text. */
  options?: string[]
  /** Shown (and sent) only when another setting has this value. */
  when?: { key: string; value: string }
}

const apiBase: KindField = { key: 'api_base_url', optional: true }
// Meta's apps sign webhooks with the app secret and check the URL with a verify token.
const metaSecrets: KindField[] = [
  { key: 'page_access_token', secret: true },
  { key: 'app_secret', secret: true },
  { key: 'verify_token', secret: true },
]
const twilio = { key: 'provider', value: 'twilio' }
const cm = { key: 'provider', value: 'cm' }

export const MESSAGING_KINDS: Record<string, KindField[]> = {
  whatsapp: [
    { key: 'phone_number_id' },
    { key: 'waba_id' },
    { key: 'access_token', secret: true },
    { key: 'app_secret', secret: true },
    { key: 'verify_token', secret: true },
    apiBase,
  ],
  telegram: [
    { key: 'bot_token', secret: true },
    { key: 'secret_token', secret: true, optional: true },
    apiBase,
  ],
  // Twilio or CM.com; a Twilio messaging service may send instead of "from".
  sms: [
    { key: 'provider', options: ['twilio', 'cm'] },
    { key: 'from', optional: true, when: twilio },
    { key: 'from', when: cm },
    { key: 'account_sid', when: twilio },
    { key: 'messaging_service_sid', optional: true, when: twilio },
    { key: 'auth_token', secret: true, when: twilio },
    { key: 'product_token', secret: true, when: cm },
    { key: 'webhook_token', secret: true, when: cm },
    apiBase,
  ],
  messenger: [{ key: 'page_id' }, ...metaSecrets, apiBase],
  instagram: [{ key: 'instagram_account_id' }, { key: 'page_id' }, ...metaSecrets, apiBase],
}

export const isMessagingKind = (kind: string): boolean => kind in MESSAGING_KINDS

/** KIND_ICON marks a channel kind in lists and the timeline. */
export const KIND_ICON: Record<string, string> = {
  whatsapp: '🟢', telegram: '✈️', sms: '💬', messenger: '🗨️', instagram: '📷', email: '✉️', webchat: '🌐', api: '🔌',
}

/** kindName is a channel kind's name for people (WhatsApp, SMS …); an unknown kind as it is. */
export function kindName(kind: string): string {
  const key = `chankind.${kind}`
  return key in en ? t(key as MessageKey) : kind
}

/** Values of a messaging channel's form: settings by key (secrets empty). */
export type KindValues = Record<string, string>

/** fieldLabel is the i18n key of a field's label: its last path segment. */
export const fieldLabel = (f: KindField): MessageKey => `chanfield.${f.key.split('.').pop()}` as MessageKey

function get(settings: Record<string, unknown> | undefined, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), settings)
}

function put(settings: Record<string, unknown>, path: string, v: string) {
  const keys = path.split('.')
  let o = settings
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>
  o[keys[keys.length - 1]] = v
}

const top = (f: KindField) => f.key.split('.')[0]

/** visibleFields are the kind's fields that apply to the values (e.g. the chosen SMS provider's). */
export function visibleFields(kind: string, values: KindValues): KindField[] {
  return (MESSAGING_KINDS[kind] ?? []).filter((f) => !f.when || values[f.when.key] === f.when.value)
}

/** kindValues fills a form from a channel's public settings; secrets start empty, choices at their first option. */
export function kindValues(kind: string, ch?: Pick<Channel, 'settings'>): KindValues {
  const out: KindValues = {}
  for (const f of MESSAGING_KINDS[kind] ?? []) {
    const v = f.secret ? '' : get(ch?.settings, f.key)
    out[f.key] = typeof v === 'string' && v ? v : (f.options?.[0] ?? '')
  }
  return out
}

/**
 * kindSettings is what is saved: the visible fields' trimmed values, empty
 * ones left out (an empty secret keeps the stored one), and the settings of
 * the channel the form does not know (e.g. the FAQ bot's) kept. A hidden
 * provider's settings are dropped.
 */
export function kindSettings(kind: string, values: KindValues, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const known = new Set((MESSAGING_KINDS[kind] ?? []).map(top))
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(previous).filter(([k]) => !known.has(k)))
  for (const f of visibleFields(kind, values)) {
    const v = (values[f.key] ?? '').trim()
    if (v) put(out, f.key, v)
  }
  return out
}

/** fieldRequired says whether a field must be filled: not optional, and a secret only while none is stored. */
export function fieldRequired(f: KindField, secretsSet: string[] = []): boolean {
  return !f.optional && !(f.secret && secretsSet.includes(f.key))
}
