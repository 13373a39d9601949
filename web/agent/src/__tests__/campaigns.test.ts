import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import { api } from '../api'
import { campaignInput, newCampaignForm, pending } from '../campaigns'
import CampaignForm from '../components/admin/campaigns/CampaignForm.vue'
import { router } from '../router'
import { useSession } from '../stores/session'
import type { Campaign, Channel, Role, Team } from '../types'
import { json } from './automation-fixtures'
import { agent } from './fixtures'

const channels = [{ id: 1, kind: 'api', name: 'Demo', enabled: true }, { id: 4, kind: 'whatsapp', name: 'WhatsApp', enabled: true }] as Channel[]
const teams = [{ id: 2, name: 'Support' }] as Team[]
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0))
  await nextTick()
}

describe('the campaign form', () => {
  let app: ReturnType<typeof createApp> | null = null
  afterEach(() => {
    app?.unmount()
    app = null
    vi.unstubAllGlobals()
  })
  function mount() {
    const el = document.createElement('div')
    document.body.appendChild(el)
    const started: Campaign[] = []
    app = createApp({ render: () => h(CampaignForm, { templates: ['order-delivery', 'survey'], channels, teams, onStarted: (c: Campaign) => started.push(c) }) })
    app.mount(el)
    return { el, started }
  }
  const fill = async (el: Element, name: string, value: string) => {
    const x = el.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)!
    x.value = value
    x.dispatchEvent(new Event(x.tagName === 'SELECT' ? 'change' : 'input'))
    await nextTick()
  }
  const check = async (el: Element, name: string, value: string, on: boolean) => {
    const x = el.querySelector<HTMLInputElement>(`input[name="${name}"][value="${value}"]`)!
    x.checked = on
    x.dispatchEvent(new Event('change'))
    await nextTick()
  }

  it('starts with open tickets, daytime hours and 60 a minute', () => {
    expect(campaignInput(newCampaignForm())).toEqual({
      name: '', template: '', channel_ids: [], send_hours: '08:00-21:00', filter: { statuses: ['new', 'open', 'pending'], tags: [], team_id: 0 }, rate_per_minute: 60,
    })
  })

  it('posts the campaign the form describes', async () => {
    const bodies: unknown[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
      bodies.push({ url, method: init.method, body: JSON.parse(String(init.body)) })
      return json({ id: 9, name: 'Delivery dates', recipients: 12 }, 201)
    }))
    const { el, started } = mount()
    await fill(el, 'campaign-name', ' Delivery dates ')
    await fill(el, 'campaign-template', 'order-delivery')
    await check(el, 'campaign-channel', '4', true)
    await check(el, 'campaign-channel', '1', true)
    await check(el, 'campaign-status', 'new', false)
    await fill(el, 'campaign-tags', 'order, vip ,')
    await fill(el, 'campaign-team', '2')
    await fill(el, 'campaign-send-hours', '09:00-20:00')
    await fill(el, 'campaign-rate', '30')
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await flush()
    expect(bodies).toEqual([{
      url: '/api/v1/campaigns', method: 'POST',
      body: {
        name: 'Delivery dates', template: 'order-delivery', channel_ids: [4, 1], send_hours: '09:00-20:00',
        filter: { statuses: ['open', 'pending'], tags: ['order', 'vip'], team_id: 2 }, rate_per_minute: 30,
      },
    }])
    expect(started.map((c) => c.id)).toEqual([9])
  })

  it.each([
    ['too_many_recipients', 'The filter chooses too many customers; narrow it with a tag, a team or fewer statuses.'],
    ['invalid_send_hours', 'Write send hours as 08:00-21:00, or leave them empty.'],
    ['unknown_template', 'There is no message template by that name; choose one from the list.'],
    ['invalid_rate', 'Give a pace in messages per minute the server allows.'],
    ['invalid_filter', 'Choose whom to reach: by ticket status, tags or a team.'],
  ])('explains a refusal (%s) with the server detail', async (code, text) => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: { code, message: 'the detail' } }, 422)))
    const { el, started } = mount()
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await flush()
    expect(el.querySelector('[role="alert"]')!.textContent).toBe(`${text} (the detail)`)
    expect(started).toEqual([])
  })
})

describe('campaign api', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('pages recipients after the last contact id', async () => {
    const urls: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      urls.push(url)
      return json([])
    }))
    await api.campaignRecipients(3, 120)
    expect(urls).toEqual(['/api/v1/campaigns/3/recipients?after=120&limit=100'])
  })

  it('keeps polling only while recipients are pending', () => {
    expect(pending({ counts: { pending: 2, sent: 1 } })).toBe(2)
    expect(pending({ counts: { sent: 3 } })).toBe(0)
    expect(pending({})).toBe(0)
  })
})

describe('who opens campaigns', () => {
  // Navigating loads (and so compiles) the lazily imported views: slow on a busy machine.
  const LAZY_VIEWS = 60_000
  async function landsOn(role: Role, path: string) {
    setActivePinia(createPinia())
    const session = useSession()
    session.agent = agent(1, 'Ann', { role })
    session.checked = true
    await router.push('/inbox/mine')
    await router.push(path)
    return router.currentRoute.value.fullPath
  }
  afterEach(() => vi.unstubAllGlobals())
  it('lets supervisors and admins in, and keeps agents out, as for approvals', async () => {
    // No channel names agent 1 as an approver of its public replies.
    vi.stubGlobal('fetch', vi.fn(async () => json({ channels: [{ id: 4, approvers: [2] }], kinds: [] })))
    expect(await landsOn('admin', '/admin/campaigns')).toBe('/admin/campaigns')
    expect(await landsOn('supervisor', '/admin/campaigns?campaign=3')).toBe('/admin/campaigns?campaign=3')
    expect(await landsOn('agent', '/admin/campaigns')).toBe('/inbox/mine')
    expect(await landsOn('supervisor', '/approvals')).toBe('/approvals')
    expect(await landsOn('agent', '/approvals')).toBe('/inbox/mine')
  }, LAZY_VIEWS)
  it('lets an agent a channel names as approver into approvals, not into campaigns', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ channels: [{ id: 4, approvers: [1] }], kinds: [] })))
    expect(await landsOn('agent', '/approvals')).toBe('/approvals')
    expect(await landsOn('agent', '/admin/campaigns')).toBe('/inbox/mine')
  }, LAZY_VIEWS)
})
