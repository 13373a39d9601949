import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h } from 'vue'
import SessionsList from '../components/SessionsList.vue'
import TwoFactorSetup from '../components/TwoFactorSetup.vue'
import { setLocale } from '../i18n'
import { browserName } from '../sessions'
import { useSession } from '../stores/session'
import { json } from './automation-fixtures'
import { agent } from './fixtures'

describe('two-step sign-in', () => {
  beforeEach(async () => {
    setActivePinia(createPinia())
    await setLocale('en')
  })
  afterEach(() => vi.unstubAllGlobals())

  it('makes no session from the password when the account has two-factor sign-in, then signs in with the code', async () => {
    const calls: { url: string; body: unknown }[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
      const body = init.body ? JSON.parse(String(init.body)) : undefined
      calls.push({ url, body })
      if (url === '/api/v1/session') return json({ two_factor: { challenge: 'lkc_1', expires_at: 1 } })
      return json({ agent: agent(1, 'Ann', { two_factor: true }) })
    }))
    const session = useSession()
    const challenge = await session.login('ann@example.com', 'a long password')
    expect(challenge).toBe('lkc_1')
    expect(session.agent).toBeNull()
    await session.secondFactor(challenge, 'abcde-fghij', true)
    expect(calls[1]).toEqual({ url: '/api/v1/session/two-factor', body: { challenge: 'lkc_1', recovery_code: 'abcde-fghij' } })
    expect(session.agent?.name).toBe('Ann')
  })

  it('signs in at once without two-factor sign-in, and remembers when the role requires setting it up', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ agent: agent(1, 'Ann'), two_factor_required: true })))
    const session = useSession()
    expect(await session.login('ann@example.com', 'a long password')).toBe('')
    expect(session.twoFactorRequired).toBe(true)
    session.twoFactorChanged(agent(1, 'Ann', { two_factor: true }))
    expect(session.twoFactorRequired).toBe(false)
  })
})

describe('two-factor setup in the profile', () => {
  let app: ReturnType<typeof createApp> | null = null
  afterEach(() => {
    app?.unmount()
    app = null
    vi.unstubAllGlobals()
  })

  it('shows the QR code, confirms a code and shows the recovery codes once', async () => {
    await setLocale('en')
    const pinia = createPinia()
    setActivePinia(pinia)
    const session = useSession()
    session.agent = agent(1, 'Ann')
    const urls: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      urls.push(url)
      if (url.endsWith('/enrol')) return json({ secret: 'JBSWY3DPEHPK3PXP', uri: 'otpauth://totp/Loket:ann', qr_png: 'data:image/png;base64,AAAA' })
      if (url.endsWith('/confirm')) return json({ agent: agent(1, 'Ann', { two_factor: true }), recovery_codes: ['aaaaa-bbbbb', 'ccccc-ddddd'] })
      return json({ error: { code: 'not_found', message: 'no' } }, 404)
    }))
    const el = document.createElement('div')
    document.body.append(el)
    let enabled = 0
    app = createApp({ render: () => h(TwoFactorSetup, { onEnabled: () => enabled++ }) })
    app.use(pinia)
    app.mount(el)
    const button = (name: string) => [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === name)!

    button('Set up two-factor authentication').click()
    await vi.waitFor(() => expect(el.querySelector('img')?.getAttribute('src')).toBe('data:image/png;base64,AAAA'))
    expect(el.textContent).toContain('JBSWY3DPEHPK3PXP')
    const input = el.querySelector<HTMLInputElement>('input[name="totp-code"]')!
    input.value = '123 456'
    input.dispatchEvent(new Event('input'))
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect([...el.querySelectorAll('[data-testid="recovery-codes"] li')].map((li) => li.textContent)).toEqual(['aaaaa-bbbbb', 'ccccc-ddddd']))
    expect(session.agent?.two_factor).toBe(true)
    button('I have saved them').click()
    await vi.waitFor(() => expect(el.querySelector('[data-testid="recovery-codes"]')).toBeNull())
    expect(enabled).toBe(1)
    expect(urls).toEqual(['/api/v1/session/two-factor/enrol', '/api/v1/session/two-factor/confirm'])
  })
})

describe('sessions', () => {
  it('names a session by its browser and system', () => {
    expect(browserName('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe('Firefox · Linux')
    expect(browserName('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0')).toBe('Edge · Windows')
    expect(browserName('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1')).toBe('Safari · iOS')
    expect(browserName('curl/8.5.0')).toBe('')
  })
})

describe("an agent's sessions, for an admin", () => {
  beforeEach(async () => {
    setActivePinia(createPinia())
    await setLocale('en')
  })
  afterEach(() => vi.unstubAllGlobals())

  it("lists another agent's sessions and signs one out", async () => {
    const calls: string[] = []
    let sessions = [
      { id: 's1', agent_id: 7, created_at: 1, seen_at: 2, expires_at: 3, ip: '192.0.2.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', current: false },
      { id: 's2', agent_id: 7, created_at: 1, seen_at: 2, expires_at: 3, ip: '192.0.2.8', user_agent: 'curl/8.5.0', current: false },
    ]
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
      calls.push(`${init.method ?? 'GET'} ${url}`)
      if ((init.method ?? 'GET') === 'DELETE') {
        sessions = sessions.filter((s) => !url.endsWith(`/${s.id}`))
        return new Response(null, { status: 204 })
      }
      return json({ sessions })
    }))
    const el = document.createElement('div')
    document.body.append(el)
    const view = createApp({ render: () => h(SessionsList, { agent: { id: 7, name: 'Bo' } }) })
    view.mount(el)
    await vi.waitFor(() => expect(el.querySelectorAll('li[data-session]').length).toBe(2))
    expect(el.textContent).toContain('Where Bo is signed in.')
    expect(el.textContent).toContain('Firefox · Linux · 192.0.2.7')
    el.querySelector<HTMLButtonElement>('li[data-session="s1"] button')!.click()
    await vi.waitFor(() => expect(el.querySelectorAll('li[data-session]').length).toBe(1))
    expect(calls).toEqual(['GET /api/v1/agents/7/sessions', 'DELETE /api/v1/agents/7/sessions/s1', 'GET /api/v1/agents/7/sessions'])
    view.unmount()
    el.remove()
  })
})
