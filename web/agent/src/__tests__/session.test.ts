import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { api } from '../api'
import { locale } from '../i18n'
import { useSession } from '../stores/session'
import { toasts } from '../stores/toasts'
import type { Agent } from '../types'

const agent: Agent = {
  id: 1, email: 'ada@example.com', name: 'Ada', role: 'admin', language: 'en', disabled: false, team_ids: [], created_at: 0,
}

describe('signing in', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    toasts.splice(0)
    vi.restoreAllMocks()
  })

  it('tells the owner of failed sign-ins to their account', async () => {
    vi.spyOn(api, 'login').mockResolvedValue({ agent, sign_in_failures: { count: 5, last_at: 1, last_from: '203.0.113.9' } })
    await useSession().login('ada@example.com', 'secret')
    expect(toasts).toHaveLength(1)
    expect(toasts[0].kind).toBe('error')
    expect(toasts[0].text).toContain('signed in: 5,')
    expect(toasts[0].text).toContain('203.0.113.9')
  })

  it('says nothing when nobody failed', async () => {
    vi.spyOn(api, 'login').mockResolvedValue({ agent })
    await useSession().login('ada@example.com', 'secret')
    expect(toasts).toHaveLength(0)
  })
})

describe('switching the language', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.restoreAllMocks()
  })

  it('saves quick switches in order, so the last choice is the one kept', async () => {
    vi.spyOn(api, 'login').mockResolvedValue({ agent })
    const session = useSession()
    await session.login('ada@example.com', 'secret')
    const saved: string[] = []
    // The first save answers late; without ordering it would land last.
    vi.spyOn(api, 'updateProfile').mockImplementation(async (p) => {
      await new Promise((r) => setTimeout(r, p.language === 'nl' ? 20 : 0))
      saved.push(p.language!)
      return { agent: { ...agent, language: p.language! } }
    })
    await Promise.all([session.setLanguage('nl'), session.setLanguage('en')])
    expect(saved).toEqual(['nl', 'en'])
    expect(session.agent?.language).toBe('en')
    expect(locale.value).toBe('en')
  })
})
