import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick, type App } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import SsoSignIn from '../components/SsoSignIn.vue'
import { ssoErrorKey, ssoLoginURL } from '../sso'

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

describe('single sign-on on the sign-in page', () => {
  let el: HTMLElement
  let app: App | null = null
  beforeEach(() => {
    el = document.createElement('div')
    document.body.appendChild(el)
  })
  afterEach(() => {
    app?.unmount()
    app = null
    el.remove()
    vi.unstubAllGlobals()
  })

  async function mount(path: string) {
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/login', component: { render: () => null } }] })
    await router.push(path)
    app = createApp({ render: () => h(SsoSignIn) })
    app.use(router).mount(el)
  }

  it('offers the provider by its name when the server has single sign-on', async () => {
    const fetch = vi.fn(async () => json({ enabled: true, label: 'Keycloak', login_url: '/api/v1/sso/login', password_sign_in: false }))
    vi.stubGlobal('fetch', fetch)
    await mount('/login')
    await vi.waitFor(() => expect(el.querySelector('a.sso')).not.toBeNull())
    const a = el.querySelector('a.sso')!
    expect(a.textContent).toBe('Sign in with Keycloak')
    expect(a.getAttribute('href')).toBe('/api/v1/sso/login')
    expect(el.textContent).toContain('Only admins sign in with a password')
    expect(fetch).toHaveBeenCalledWith('/api/v1/sso', expect.anything())
  })

  it('shows nothing without single sign-on, or when the server cannot say', async () => {
    const fetch = vi.fn(async () => json({ enabled: false, password_sign_in: true }))
    vi.stubGlobal('fetch', fetch)
    await mount('/login')
    await vi.waitFor(() => expect(fetch).toHaveBeenCalled())
    await nextTick()
    expect(el.querySelector('a.sso')).toBeNull()
    expect(el.textContent).toBe('')
  })

  it('explains why the provider sent the agent back', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ enabled: true, label: 'Entra ID', login_url: '/api/v1/sso/login', password_sign_in: true })))
    await mount('/login?sso_error=sso_unknown_agent')
    expect(el.querySelector('[role="alert"]')!.textContent).toContain('ask an admin to add you')
    await vi.waitFor(() => expect(el.textContent).toContain('Or sign in with your e-mail address and password'))
  })

  it('maps refusal codes to messages and only ever links to a path on Loket', () => {
    expect(ssoErrorKey('sso_state_expired')).toBe('login.ssoRestart')
    expect(ssoErrorKey('agent_disabled')).toBe('login.ssoDisabled')
    expect(ssoErrorKey('sso_whatever')).toBe('login.ssoFailed')
    expect(ssoLoginURL({ enabled: true, login_url: 'https://evil.example/', password_sign_in: true })).toBe('')
    expect(ssoLoginURL({ enabled: true, login_url: '//evil.example/', password_sign_in: true })).toBe('')
    expect(ssoLoginURL({ enabled: false, login_url: '/api/v1/sso/login', password_sign_in: true })).toBe('')
    expect(ssoLoginURL(null)).toBe('')
  })
})
