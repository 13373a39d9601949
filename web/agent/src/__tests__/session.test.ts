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
    // Saves answer only when the test says, in the order they were sent:
    // without ordering, the second choice's save goes out first (its
    // language needs no loading) and the first choice would land last.
    const pending: { lang: string; answer: () => void }[] = []
    vi.spyOn(api, 'updateProfile').mockImplementation((p) => new Promise((resolve) => {
      pending.push({ lang: p.language!, answer: () => resolve({ agent: { ...agent, language: p.language! } }) })
    }))
    const both = Promise.all([session.setLanguage('nl'), session.setLanguage('en')])
    const saved: string[] = []
    while (saved.length < 2) {
      await vi.waitFor(() => expect(pending.length).toBeGreaterThan(0))
      const save = pending.shift()!
      saved.push(save.lang)
      save.answer()
    }
    await both
    expect(saved).toEqual(['nl', 'en'])
    expect(session.agent?.language).toBe('en')
    expect(locale.value).toBe('en')
  })
})
