import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, ApiError } from '../api'
import { setLocale, t } from '../i18n'
import { toast } from './toasts'
import type { Agent, Lang } from '../types'

export const useSession = defineStore('session', () => {
  const agent = ref<Agent | null>(null)
  const checked = ref(false)

  async function load(): Promise<Agent | null> {
    try {
      agent.value = (await api.me()).agent
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e
      agent.value = null
    } finally {
      checked.value = true
    }
    if (agent.value) await setLocale(localStorage.getItem('loket.lang') ?? agent.value.language)
    return agent.value
  }

  async function login(email: string, password: string) {
    const res = await api.login(email, password)
    agent.value = res.agent
    localStorage.removeItem('loket.lang')
    await setLocale(agent.value.language)
    const f = res.sign_in_failures
    if (f) toast(t('toast.signInFailures', { n: f.count, from: f.last_from }), { kind: 'error', ms: 30000 })
  }

  async function logout() {
    try {
      await api.logout()
    } finally {
      agent.value = null
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

  return { agent, checked, load, login, logout, setLanguage, updateName, updatePhone }
})
