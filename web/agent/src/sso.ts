// Single sign-on on the sign-in page: whether the server offers it and
// under which name, and what a refused sign-in's code (the callback's
// sso_error) means to the agent.
import { request } from './api'
import type { MessageKey } from './i18n'

export interface SignInOptions {
  enabled: boolean
  label?: string
  login_url?: string
  /** Whether agents other than admins may still sign in with a password. */
  password_sign_in: boolean
}

export function signInOptions(): Promise<SignInOptions> {
  return request<SignInOptions>('GET', '/api/v1/sso')
}

/** The message explaining a refused single sign-on. */
export function ssoErrorKey(code: string): MessageKey {
  switch (code) {
    case 'sso_unknown_agent':
      return 'login.ssoUnknownAgent'
    case 'agent_disabled':
      return 'login.ssoDisabled'
    case 'sso_email_unverified':
    case 'sso_no_email':
      return 'login.ssoEmail'
    case 'sso_state_missing':
    case 'sso_state_expired':
    case 'sso_state_mismatch':
      return 'login.ssoRestart'
    case 'sso_unavailable':
    case 'sso_no_id_token':
      return 'login.ssoUnavailable'
    default:
      return 'login.ssoFailed'
  }
}

/** The address to start single sign-on at, only ever a path on Loket. */
export function ssoLoginURL(o: SignInOptions | null): string {
  const url = o?.enabled ? o.login_url ?? '' : ''
  return url.startsWith('/') && !url.startsWith('//') ? url : ''
}
