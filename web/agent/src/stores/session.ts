import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, ApiError } from '../api'
import { setLocale } from '../i18n'
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
    agent.value = (await api.login(email, password)).agent
    localStorage.removeItem('loket.lang')
    await setLocale(agent.value.language)
  }

  async function logout() {
    try {
      await api.logout()
    } finally {
      agent.value = null
    }
  }

  /** Switches the interface language and saves it on the agent (kept locally when that fails). */
  async function setLanguage(lang: Lang) {
    await setLocale(lang)
    localStorage.setItem('loket.lang', lang)
    if (agent.value?.id) {
      try {
        agent.value = (await api.updateProfile({ language: lang })).agent
        localStorage.removeItem('loket.lang')
      } catch {
        // keep the local choice
      }
    }
  }

  /** updateName changes the agent's display name. */
  async function updateName(name: string) {
    agent.value = (await api.updateProfile({ name })).agent
  }

  return { agent, checked, load, login, logout, setLanguage, updateName }
})
