import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, ApiError, type SignInAnswer } from '../api'
import { setLocale, t } from '../i18n'
import { toast } from './toasts'
import type { Agent, Lang } from '../types'

export const useSession = defineStore('session', () => {
  const agent = ref<Agent | null>(null)
  const checked = ref(false)
  /** The agent's role requires two-factor sign-in and the agent has not set it up: that is all the app lets them do. */
  const twoFactorRequired = ref(false)

  async function load(): Promise<Agent | null> {
    try {
      const me = await api.me()
      agent.value = me.agent
      twoFactorRequired.value = !!me.two_factor_required
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e
      agent.value = null
    } finally {
      checked.value = true
    }
    if (agent.value) await setLocale(localStorage.getItem('loket.lang') ?? agent.value.language)
    return agent.value
  }

  /** login checks the password; it answers the challenge for the second step when the account has two-factor sign-in, else '' (signed in). */
  async function login(email: string, password: string): Promise<string> {
    const res = await api.login(email, password)
    if (res.two_factor) return res.two_factor.challenge
    await signedIn(res)
    return ''
  }

  /** secondFactor finishes a two-step sign-in with a code from the app, or a recovery code. */
  async function secondFactor(challenge: string, code: string, recovery: boolean) {
    await signedIn(await api.secondFactor(challenge, recovery ? { recovery_code: code } : { code }))
  }

  async function signedIn(res: SignInAnswer) {
    if (!res.agent) throw new Error('no agent in the answer')
    agent.value = res.agent
    twoFactorRequired.value = !!res.two_factor_required
    localStorage.removeItem('loket.lang')
    await setLocale(res.agent.language)
    const f = res.sign_in_failures
    if (f) toast(t('toast.signInFailures', { n: f.count, from: f.last_from }), { kind: 'error', ms: 30000 })
  }

  /** twoFactorChanged takes the agent as turning two-factor sign-in on or off left it. */
  function twoFactorChanged(a: Agent) {
    agent.value = a
    if (a.two_factor) twoFactorRequired.value = false
  }

  async function logout() {
    try {
      await api.logout()
    } finally {
      agent.value = null
      twoFactorRequired.value = false
    }
  }

  // Language switches run one after another (a language loads before it
  // shows), so quick switching shows and stores the last choice.
  let switching: Promise<void> = Promise.resolve()

  /** Switches the interface language and saves it on the agent (kept locally when that fails). */
  function setLanguage(lang: Lang): Promise<void> {
    switching = switching.then(async () => {
      await setLocale(lang)
      localStorage.setItem('loket.lang', lang)
      if (!agent.value?.id) return
      try {
        agent.value = (await api.updateProfile({ language: lang })).agent
        localStorage.removeItem('loket.lang')
      } catch {
        // keep the local choice
      }
    })
    return switching
  }

  /** updateName changes the agent's display name. */
  async function updateName(name: string) {
    agent.value = (await api.updateProfile({ name })).agent
  }

  /** updatePhone sets the extension or number the telephone system rings the agent at ('' clears it). */
  async function updatePhone(phone: string) {
    agent.value = (await api.updateProfile({ phone })).agent
  }

  return { agent, checked, twoFactorRequired, load, login, secondFactor, twoFactorChanged, logout, setLanguage, updateName, updatePhone }
})
