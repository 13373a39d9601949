import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h } from 'vue'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import { useDesk } from '../stores/desk'
import type { QueueView } from '../types'
import WallboardView from '../views/WallboardView.vue'
import { byPresence, parseTarget, queueTotals, serviceLevel, type Today } from '../wallboard'

const row = (team_id: number, kind: string, waiting: number, longest_wait_ms: number) => ({ team_id, kind, waiting, longest_wait_ms, estimated_wait_ms: 0 })

describe('wallboard figures', () => {
  it('reads the target from the URL, 80% unless it is a percentage', () => {
    for (const [v, want] of [[undefined, 80], ['90', 90], ['99.5', 99.5], ['0', 80], ['101', 80], ['abc', 80], [['90'], 80]] as const) {
      expect(parseTarget(v), String(v)).toBe(want)
    }
  })
  it('adds up what waits; the longest wait is of queues with work', () => {
    expect(queueTotals([])).toEqual({ waiting: 0, longestMs: 0 })
    expect(queueTotals([row(1, 'api', 2, 60_000), row(1, 'email', 0, 900_000), row(2, 'chat', 1, 120_000)])).toEqual({ waiting: 3, longestMs: 120_000 })
  })
  it('groups agents by presence, online first, busiest first', () => {
    const a = (name: string, presence: 'online' | 'away' | 'offline', load: number) => ({ name, presence, load })
    const groups = byPresence([a('Bo', 'online', 1), a('Al', 'offline', 0), a('Cy', 'online', 5), a('Di', 'online', 1)])
    expect(groups.map((g) => [g.presence, g.agents.map((x) => x.name)])).toEqual([
      ['online', ['Cy', 'Bo', 'Di']],
      ['away', []],
      ['offline', ['Al']],
    ])
  })
  it('compares the service level with the target; none without results', () => {
    expect(serviceLevel(undefined, 80)).toEqual({ pct: null, state: 'none' })
    expect(serviceLevel({ attainment_pct: null }, 80)).toEqual({ pct: null, state: 'none' })
    expect(serviceLevel({ attainment_pct: 80 }, 80)).toEqual({ pct: 80, state: 'met' })
    expect(serviceLevel({ attainment_pct: 79.9 }, 80)).toEqual({ pct: 79.9, state: 'missed' })
  })
})

describe('WallboardView', () => {
  let urls: string[]
  let el: HTMLElement
  let app: ReturnType<typeof createApp> | null = null
  const queues: QueueView = {
    queues: [row(1, 'api', 3, 125_000), row(1, 'email', 0, 0)],
    agents: [
      { agent_id: 7, presence: 'online', load: 2, budget: 10, items: 2, reserving: false },
      { agent_id: 8, presence: 'away', load: 0, budget: 10, items: 0, reserving: false },
    ],
  }
  const today: Today = {
    from: '', at: '', tz: 'UTC', volume: { tickets: 12, messages_in: 30, messages_out: 20 }, solved: 5,
    first_response: { count: 4, median_ms: 300_000, p90_ms: 600_000, mean_ms: 400_000 },
    sla: { policy: '', channel_id: 0, met: 3, breached: 1, pending: 2, attainment_pct: 75, first_response_breached: 1, next_response_breached: 0, resolution_breached: 0 },
  }
  beforeEach(() => {
    urls = []
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      urls.push(url)
      return new Response(JSON.stringify(url.startsWith('/api/v1/queues') ? queues : today), { status: 200 })
    }))
    el = document.createElement('div')
    document.body.appendChild(el)
  })
  afterEach(() => {
    app?.unmount()
    el.remove()
    vi.unstubAllGlobals()
  })

  it('shows the queues, the agents by presence and today’s service level against the target in the URL', async () => {
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/wallboard', component: WallboardView },
        { path: '/queues', component: { render: () => null } },
      ],
    })
    const pinia = createPinia()
    setActivePinia(pinia)
    const desk = useDesk()
    desk.teams = [{ id: 1, name: 'Support' }] as typeof desk.teams
    desk.agents = [{ id: 7, name: 'Anna' }, { id: 8, name: 'Bram' }] as typeof desk.agents
    await router.push('/wallboard?target=70')
    app = createApp({ render: () => h(RouterView) })
    app.use(pinia).use(router).mount(el)
    await vi.waitFor(() => expect(el.querySelector('[data-figure="tickets"] strong')!.textContent).toBe('12'))

    expect(urls.some((u) => /^\/api\/v1\/reports\/today\?tz=\w+/.test(u))).toBe(true)
    const figure = (name: string) => el.querySelector(`[data-figure="${name}"] strong`)!.textContent
    expect(figure('waiting')).toBe('3')
    expect(figure('longest')).toBe('3 min')
    expect(figure('service-level')).toBe('75.0%')
    expect(el.querySelector('[data-figure="service-level"]')!.classList.contains('sl-met')).toBe(true)
    expect(el.querySelector('[data-figure="service-level"] small')!.textContent).toContain('target 70%')
    expect(figure('online')).toBe('1 online')
    expect(figure('first_response')).toBe('5 min')
    expect(el.querySelector('[data-team="1"] caption')!.textContent).toContain('Support')
    expect(el.querySelector('[data-kind="api"] .waiting')!.textContent).toBe('3')
    expect(el.querySelector('[data-presence="online"] [data-agent="7"] .name')!.textContent).toBe('Anna')
    expect(el.querySelector('[data-presence="away"] [data-agent="8"]')).not.toBeNull()
  })
})
