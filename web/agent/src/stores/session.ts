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

  /** Switches the interface language; saved on the agent when allowed, else locally. */
  async function setLanguage(lang: Lang) {
    await setLocale(lang)
    localStorage.setItem('loket.lang', lang)
    if (agent.value?.role === 'admin') {
      try {
        agent.value = await api.updateAgent(agent.value.id, { language: lang })
        localStorage.removeItem('loket.lang')
      } catch {
        // keep the local choice
      }
    }
  }

  return { agent, checked, load, login, logout, setLanguage }
})
