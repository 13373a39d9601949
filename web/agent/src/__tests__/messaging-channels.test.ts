import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import { fieldRequired, kindName, kindSettings, kindValues, MESSAGING_KINDS, visibleFields } from '../channelKinds'
import MessagingChannelForm from '../components/admin/MessagingChannelForm.vue'
import type { Channel } from '../types'

const keys = (kind: string, v: Record<string, string>) => visibleFields(kind, v).map((f) => f.key)

describe('messaging channel kinds', () => {
  it('lists each kind’s settings and secrets; SMS by provider', () => {
    expect(Object.keys(MESSAGING_KINDS)).toEqual(['whatsapp', 'telegram', 'sms', 'messenger', 'instagram'])
    expect(keys('whatsapp', {})).toEqual(['phone_number_id', 'waba_id', 'access_token', 'app_secret', 'verify_token', 'api_base_url'])
    expect(keys('sms', { provider: 'twilio' })).toEqual([
      'provider', 'from', 'account_sid', 'messaging_service_sid', 'auth_token', 'api_base_url',
    ])
    expect(keys('sms', { provider: 'cm' })).toEqual(['provider', 'from', 'product_token', 'webhook_token', 'api_base_url'])
    expect(keys('instagram', {})).toEqual(['instagram_account_id', 'page_id', 'page_access_token', 'app_secret', 'verify_token', 'api_base_url'])
    expect(kindName('sms')).toBe('SMS')
    expect(kindName('pigeon')).toBe('pigeon')
  })
  it('fills a form from public settings; secrets start empty', () => {
    const ch = { settings: { provider: 'twilio', from: '+3197010203040', account_sid: 'AC1', auth_token: 'never sent back' } }
    expect(kindValues('sms', ch)).toMatchObject({ provider: 'twilio', from: '+3197010203040', account_sid: 'AC1', auth_token: '' })
    expect(kindValues('sms').provider).toBe('twilio')
  })
  it('saves visible, non-empty values; keeps what the form does not know, drops the other provider', () => {
    const values = { provider: 'cm', from: ' Shop ', account_sid: 'AC1', product_token: '', webhook_token: 'hook', api_base_url: '' }
    const previous = { from: 'Old', bot: { enabled: true }, account_sid: 'AC1' }
    expect(kindSettings('sms', values, previous)).toEqual({ bot: { enabled: true }, provider: 'cm', from: 'Shop', webhook_token: 'hook' })
    expect(kindSettings('telegram', { bot_token: '1:abc', secret_token: '', api_base_url: ' https://tg.example ' })).toEqual({
      bot_token: '1:abc', api_base_url: 'https://tg.example',
    })
  })
  it('requires a secret only while none is stored', () => {
    const [token] = visibleFields('telegram', {})
    expect(fieldRequired(token)).toBe(true)
    expect(fieldRequired(token, ['bot_token'])).toBe(false)
    expect(fieldRequired({ key: 'api_base_url', optional: true })).toBe(false)
  })
})

describe('MessagingChannelForm', () => {
  let calls: { method: string; url: string; body: any }[]
  let el: HTMLElement
  let app: ReturnType<typeof createApp> | null
  beforeEach(() => {
    setActivePinia(createPinia())
    calls = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      const body = init.body ? JSON.parse(String(init.body)) : undefined
      calls.push({ method: init.method ?? 'GET', url, body })
      const ch = { id: 9, kind: body?.kind ?? 'sms', name: body?.name ?? 'x', settings: {}, enabled: true, secrets_set: [] }
      return new Response(JSON.stringify(url.endsWith('/test') ? { ok: true, checks: [{ name: 'api', ok: true, detail: 'bot @shop_bot' }] } : ch), { status: 200 })
    }))
    el = document.createElement('div')
    document.body.appendChild(el)
  })
  afterEach(() => {
    app?.unmount()
    el.remove()
    vi.unstubAllGlobals()
  })
  function mount(props: { kind: string; channel?: Channel }, onSaved = (_: Channel) => {}) {
    app = createApp({ render: () => h(MessagingChannelForm, { ...props, onSaved }) })
    app.use(createPinia())
    app.mount(el)
  }
  const input = (name: string) => el.querySelector(`[name="${name}"]`) as HTMLInputElement
  const set = async (name: string, v: string) => {
    const i = input(name)
    i.value = v
    i.dispatchEvent(new Event(i.tagName === 'SELECT' ? 'change' : 'input'))
    await nextTick()
  }

  it('creates an SMS channel with the chosen provider’s fields and secrets', async () => {
    let saved: Channel | null = null
    mount({ kind: 'sms' }, (c) => (saved = c))
    expect(el.querySelector('h2')!.textContent).toBe('New SMS channel')
    expect(input('auth_token').type).toBe('password')
    expect(input('from').required).toBe(false)
    await set('provider', 'cm')
    expect(input('auth_token')).toBeNull()
    expect(input('product_token').required).toBe(true)
    expect(input('from').required).toBe(true)
    await set('channel-name', 'Shop SMS')
    await set('from', 'Shop')
    await set('product_token', 'prod-secret')
    await set('webhook_token', 'hook-secret')
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(saved).not.toBeNull())
    expect(calls[0]).toMatchObject({
      method: 'POST', url: '/api/v1/channels',
      body: { kind: 'sms', name: 'Shop SMS', settings: { provider: 'cm', from: 'Shop', product_token: 'prod-secret', webhook_token: 'hook-secret' } },
    })
  })

  it('edits a saved channel: secrets show as set and stay when empty; the webhook URL, health and test show', async () => {
    const ch = {
      id: 4, kind: 'telegram', name: 'Shop bot', settings: { api_base_url: 'http://fake' }, enabled: true, secrets_set: ['bot_token'],
      webhook_url: 'https://desk.example/api/v1/telegram/4/hook', last_inbound_at: Date.now() - 5 * 60_000,
      status: 'send telegram message 3: 401 Unauthorized', status_at: Date.now() - 2 * 3_600_000, created_at: 0, updated_at: 0,
    } as Channel
    mount({ kind: 'telegram', channel: ch })
    expect(input('bot_token').placeholder).toBe('set; leave empty to keep')
    expect(input('bot_token').required).toBe(false)
    expect(input('secret_token').placeholder).toBe('')
    expect((el.querySelector('[data-testid="webhook-url"]') as HTMLInputElement).value).toBe(ch.webhook_url)
    expect(el.textContent).toContain('Loket registers this URL with Telegram itself')
    const health = el.querySelector('[data-testid="channel-health"]')!.textContent!
    expect(health).toContain('5 min ago')
    expect(health).toContain('401 Unauthorized · 2 h ago')
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    expect(calls[0]).toMatchObject({ method: 'PATCH', url: '/api/v1/channels/4', body: { name: 'Shop bot', settings: { api_base_url: 'http://fake' } } })
    const test = [...el.querySelectorAll('button')].find((b) => b.textContent === 'Test connection')!
    test.click()
    await vi.waitFor(() => expect(el.querySelector('[data-check="api"]')?.textContent).toContain('bot @shop_bot'))
  })

  it('says healthy and never for a channel that has not received anything', () => {
    mount({ kind: 'whatsapp', channel: { id: 5, kind: 'whatsapp', name: 'WA', settings: {}, enabled: true, secrets_set: [], webhook_url: '', created_at: 0, updated_at: 0 } })
    const health = el.querySelector('[data-testid="channel-health"]')!.textContent!
    expect(health).toContain('never')
    expect(health).toContain('healthy')
    expect(el.textContent).toContain('No webhook URL yet')
  })
})
