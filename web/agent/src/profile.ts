// Checks of the agent's own password change, before the server's.
import type { MessageKey } from './i18n'

/** MIN_PASSWORD is the server's shortest password (internal/secret). */
export const MIN_PASSWORD = 10

/** passwordProblem names what is wrong with a new password and its repetition, or '' when nothing. */
export function passwordProblem(next: string, repeat: string): MessageKey | '' {
  if (Array.from(next).length < MIN_PASSWORD) return 'profile.tooShort'
  if (new TextEncoder().encode(next).length > 72) return 'profile.tooLong'
  if (next !== repeat) return 'profile.mismatch'
  return ''
}
