// Names of what the rule schema offers, in the agent's language where this
// app knows the name, else the schema's own label, else the name itself:
// the server may add triggers, operators and actions this app has not met.
import { t, type MessageKey } from '../../../i18n'

/** known translates prefix.name, or returns fallback when there is no such key. */
export function known(prefix: string, name: string, fallback: string): string {
  const k = `${prefix}.${name}` as MessageKey
  const s = t(k)
  return s === k ? fallback : s
}

export const triggerLabel = (name: string, label?: string) => known('trigger', name, label || name)
export const opLabel = (name: string, label?: string) => known('op', name, label || name)
export const actionLabel = (type: string, label?: string) => known('action', type, label || type)
export const paramLabel = (name: string, label?: string) => known('param', name, label || name)

/** enumLabel shows an enum value: priorities and statuses translated, anything else as it is. */
export function enumLabel(field: string, value: string): string {
  for (const p of ['priority', 'status']) if (field === p || field.endsWith('.' + p)) return known(p, value, value)
  return value
}
