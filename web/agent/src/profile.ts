// Checks of the agent's own password change, before the server's.
import type { MessageKey } from './i18n'

/** MIN_PASSWORD and MAX_PASSWORD bound a password's length in characters, as the server does (internal/secret). */
export const MIN_PASSWORD = 12
export const MAX_PASSWORD = 256

/** passwordProblem names what is wrong with a new password and its repetition, or '' when nothing. */
export function passwordProblem(next: string, repeat: string): MessageKey | '' {
  const n = Array.from(next).length
  if (n < MIN_PASSWORD) return 'profile.tooShort'
  if (n > MAX_PASSWORD) return 'profile.tooLong'
  if (next !== repeat) return 'profile.mismatch'
  return ''
}

/** passwordError is the message for a refused new password: the server's weak_password in the agent's language. */
export function passwordErrorKey(code: string): MessageKey | '' {
  return code === 'weak_password' ? 'profile.weakPassword' : ''
}
