import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import { apiQuery, change, DEFAULT_FILTERS, filtersFromQuery, filtersToQuery, heatGrid, periodDates, shares } from '../reports/logic'
import { useDesk } from '../stores/desk'
import ReportsView from '../views/ReportsView.vue'

// Wednesday 10 December 2025, 15:00 local time
const now = new Date(2025, 11, 10, 15, 0)

describe('report periods', () => {
  it('turns presets into first and last day, in local time', () => {
    expect(periodDates({ preset: '7d', from: '', to: '' }, now)).toEqual({ from: '2025-12-04', to: '2025-12-10' })
    expect(periodDates({ preset: '30d', from: '', to: '' }, now)).toEqual({ from: '2025-11-11', to: '2025-12-10' })
    expect(periodDates({ preset: 'month', from: '', to: '' }, now)).toEqual({ from: '2025-12-01', to: '2025-12-10' })
    expect(periodDates({ preset: 'month', from: '', to: '' }, new Date(2026, 0, 1, 0, 5))).toEqual({ from: '2026-01-01', to: '2026-01-01' })
    expect(periodDates({ preset: '7d', from: '', to: '' }, new Date(2026, 2, 3))).toEqual({ from: '2026-02-25', to: '2026-03-03' })
  })
  it('takes custom dates as given, swapped when reversed, the last 7 days when incomplete', () => {
    expect(periodDates({ preset: 'custom', from: '2025-01-01', to: '2025-01-31' }, now)).toEqual({ from: '2025-01-01', to: '2025-01-31' })
    expect(periodDates({ preset: 'custom', from: '2025-02-01', to: '2025-01-01' }, now)).toEqual({ from: '2025-01-01', to: '2025-02-01' })
    expect(periodDates({ preset: 'custom', from: '2025-02-01', to: '' }, now)).toEqual({ from: '2025-12-04', to: '2025-12-10' })
  })
})

describe('report filters in the URL and the API query', () => {
  it('reads defaults from an empty or bad query', () => {
    expect(filtersFromQuery({})).toEqual(DEFAULT_FILTERS)
    expect(filtersFromQuery({ period: 'year', channel: 'x', team: '-1', agent: '0', interval: 'month' })).toEqual(DEFAULT_FILTERS)
    expect(filtersFromQuery({ period: 'custom', from: '2025-01-01' })).toEqual(DEFAULT_FILTERS)
  })
  it('round-trips every filter and leaves defaults out', () => {
    const f = { preset: 'custom' as const, from: '2025-01-01', to: '2025-01-31', channel_id: 3, team_id: 2, agent_id: 5, tag: 'vip', interval: 'week' as const }
    const q = filtersToQuery(f)
    expect(q).toEqual({ period: 'custom', from: '2025-01-01', to: '2025-01-31', channel: '3', team: '2', agent: '5', tag: 'vip', interval: 'week' })
    expect(filtersFromQuery(q)).toEqual(f)
    expect(filtersToQuery(DEFAULT_FILTERS)).toEqual({})
    expect(filtersToQuery({ ...DEFAULT_FILTERS, preset: '30d', tag: '  ' })).toEqual({ period: '30d' })
    expect(filtersFromQuery({ from: '2025-01-01', to: '2025-01-02' }).preset).toBe('custom')
    expect(filtersFromQuery({ channel: ['4', '5'], tag: ' a b ' })).toMatchObject({ channel_id: 4, tag: 'a b' })
  })
  it('asks the API for dates in the browser’s zone', () => {
    expect(apiQuery(DEFAULT_FILTERS, 'Europe/Amsterdam', now)).toBe('from=2025-12-04&to=2025-12-10&tz=Europe%2FAmsterdam')
    expect(apiQuery({ ...DEFAULT_FILTERS, preset: 'month', channel_id: 1, agent_id: 2, tag: 'x y', interval: 'week' }, 'UTC', now)).toBe(
      'from=2025-12-01&to=2025-12-10&tz=UTC&channel_id=1&agent_id=2&tag=x+y&interval=week',
    )
  })
})

describe('report figures', () => {
  it('computes the change against the previous period', () => {
    expect(change(15, 10)).toEqual({ dir: 'up', pct: 50 })
    expect(change(5, 10)).toEqual({ dir: 'down', pct: 50 })
    expect(change(1, 3)).toEqual({ dir: 'down', pct: 67 })
    expect(change(4, 4)).toEqual({ dir: 'same', pct: 0 })
    expect(change(3, 0)).toEqual({ dir: 'up', pct: null })
    expect(change(null, 3)).toEqual({ dir: 'none', pct: null })
    expect(change(3, undefined)).toEqual({ dir: 'none', pct: null })
  })
  it('shapes the heat map into 7 weekdays of 24 hours, Monday first', () => {
    const { rows, max } = heatGrid([
      { weekday: 1, hour: 0, tickets: 2, messages_in: 5 },
      { weekday: 7, hour: 23, tickets: 4, messages_in: 1 },
      { weekday: 3, hour: 9, tickets: 1 },
      { weekday: 8, hour: 1, tickets: 99 },
      { weekday: 2, hour: 24, tickets: 99 },
    ])
    expect(rows.length).toBe(7)
    expect(rows.every((r) => r.length === 24)).toBe(true)
    expect(rows[0][0]).toBe(2)
    expect(rows[6][23]).toBe(4)
    expect(rows[2][9]).toBe(1)
    expect(max).toBe(4)
    expect(heatGrid([{ weekday: 1, hour: 0, tickets: 2, messages_in: 5 }], 'messages_in').max).toBe(5)
    expect(heatGrid(null)).toEqual({ rows: Array.from({ length: 7 }, () => Array(24).fill(0)), max: 0 })
  })
  it('turns counts into shares', () => {
    expect(shares([1, 2, 1], (x) => x).map((s) => s.pct)).toEqual([25, 50, 25])
    expect(shares([1, 2], (x) => x).map((s) => s.pct)).toEqual([33.3, 66.7])
    expect(shares([0], (x) => x)[0].pct).toBe(0)
  })
})

const counts = (tickets: number, messages_in = 0, messages_out = 0) => ({ tickets, messages_in, messages_out })
const stats = (median_ms: number, count = 1) => ({ count, median_ms, p90_ms: median_ms * 2, mean_ms: median_ms })
const speed = (ms: number) => ({ id: 1, first_response: stats(ms), first_response_business: stats(ms / 2), next_response: stats(ms * 2), next_response_business: stats(ms), resolution: stats(ms * 10), resolution_business: stats(ms * 5), handling: stats(ms * 3) })
const outcome = (tickets: number) => ({
  id: 1, tickets, solved: 1, one_touch: 1, one_touch_pct: 50, reopened: 0, reopen_pct: 0, bot_handled: 0, bot_resolved: 0,
  bot_handed_over: 0, bot_resolution_pct: null, bot_hand_off_pct: null, csat_count: 1, csat_average: 4, csat_distribution: [0, 0, 0, 1, 0],
})
const sla = (breached: number) => ({
  policy: 'Standard', channel_id: 1, met: 1, breached, pending: 0, attainment_pct: breached ? 50 : 100,
  first_response_breached: breached, next_response_breached: 0, resolution_breached: 0,
})
const answers: Record<string, (prev: boolean) => unknown> = {
  volume: (p) => ({
    total: counts(p ? 2 : 3, p ? 2 : 5, 1),
    by_channel: [{ id: 1, ...counts(p ? 2 : 3, 5, 1) }],
    by_team: [],
    heatmap: [{ weekday: 2, hour: 14, ...counts(3, 5, 1) }],
    series: [{ start: '2025-12-09', ...counts(1, 2), channels: [] }, { start: '2025-12-10', ...counts(2, 3), channels: [] }],
  }),
  speed: (p) => ({ total: speed(p ? 120_000 : 60_000), by_channel: [speed(60_000)], by_team: [], by_agent: [] }),
  sla: (p) => ({
    total: sla(p ? 0 : 1), by_policy: [sla(1)], by_channel: [sla(1)],
    breached_tickets: p ? [] : [{ id: 7, number: 10007, policy: 'Standard', channel_id: 1, targets: ['first_response'] }], breached_truncated: false,
  }),
  outcome: (p) => ({ total: outcome(p ? 1 : 2), by_channel: [outcome(2)], by_team: [], by_agent: [] }),
}

describe('ReportsView', () => {
  let urls: string[]
  let el: HTMLElement
  let app: ReturnType<typeof createApp> | null = null
  beforeEach(() => {
    urls = []
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      // the survey answers section has its own tests
      if (url.startsWith('/api/v1/surveys')) return new Response(JSON.stringify({ surveys: [] }), { status: 200 })
      urls.push(url)
      const kind = url.match(/\/reports\/(\w+)/)![1]
      const body = { from: '', to: '', previous_from: '', previous_to: '', tz: 'UTC', current: answers[kind](false), previous: answers[kind](true) }
      return new Response(JSON.stringify(body), { status: 200 })
    }))
    el = document.createElement('div')
    document.body.appendChild(el)
  })
  afterEach(() => {
    app?.unmount()
    el.remove()
    vi.unstubAllGlobals()
  })

  function makeRouter() {
    return createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/reports', name: 'reports', component: ReportsView },
        { path: '/tickets/:id', name: 'ticket', component: { render: () => null } },
      ],
    })
  }

  it('loads the four reports for the filters in the URL and shows figures, changes and links', async () => {
    const router = makeRouter()
    const pinia = createPinia()
    setActivePinia(pinia)
    const desk = useDesk()
    desk.channels = [{ id: 1, kind: 'api', name: 'Demo API' }, { id: 2, kind: 'email', name: 'Mail' }] as typeof desk.channels
    await router.push('/reports?period=30d&channel=1')
    app = createApp({ render: () => h(RouterView) })
    app.use(pinia).use(router).mount(el)
    await vi.waitFor(() => expect(el.querySelector('[data-report="outcome"] .figures')).not.toBeNull())

    expect(urls.map((u) => u.split('?')[0]).sort()).toEqual(['/api/v1/reports/outcome', '/api/v1/reports/sla', '/api/v1/reports/speed', '/api/v1/reports/volume'])
    const q = new URLSearchParams(urls[0].split('?')[1])
    expect(q.get('channel_id')).toBe('1')
    expect(q.get('tz')).toBeTruthy()
    expect(q.get('from')).toMatch(/^\d{4}-\d{2}-\d{2}$/)

    const tickets = el.querySelector('[data-report="volume"] [data-figure="tickets"]')!
    expect(tickets.querySelector('strong')!.textContent).toBe('3')
    expect(tickets.querySelector('.delta')!.textContent).toContain('↑ 50%')
    expect(tickets.querySelector('.delta .sr-only')!.textContent).toContain('up 50%')
    // speed: shorter is better
    const speedDelta = el.querySelector('[data-report="speed"] .figures .delta')!
    expect(speedDelta.classList.contains('down') && speedDelta.classList.contains('good')).toBe(true)
    expect([...el.querySelectorAll('[data-report="speed"] .figures dt')].map((x) => x.textContent?.trim())).toContain('Next response: Median')
    expect([...el.querySelectorAll('[data-report="speed"] .figures dt')].map((x) => x.textContent?.trim())).toContain('Handling time: Median')
    expect(el.querySelector('[data-report="volume"] a.button')!.getAttribute('href')).toMatch(/^\/api\/v1\/reports\/volume\?.*&format=csv$/)
    expect(el.querySelector('.heat-map tbody')!.querySelectorAll('tr').length).toBe(7)
    expect(el.querySelector('.heat-map figcaption')!.textContent).toContain('Tue 14:00 with 3 tickets')
    expect(el.querySelectorAll('.series-chart rect.bar').length).toBe(2)
    const link = el.querySelector('.breached-tickets a') as HTMLAnchorElement
    expect(link.textContent).toBe('#10007')
    expect(link.getAttribute('href')).toBe('/tickets/7')
    for (const table of el.querySelectorAll('table')) expect(table.querySelector('thead th'), table.outerHTML.slice(0, 80)).not.toBeNull()

    // a filter change goes into the URL and reloads the reports
    const channel = el.querySelector('select[name="channel"]') as HTMLSelectElement
    expect(channel.value).toBe('1')
    channel.selectedIndex = 2
    channel.dispatchEvent(new Event('change'))
    await vi.waitFor(() => expect(router.currentRoute.value.query).toEqual({ period: '30d', channel: '2' }))
    await vi.waitFor(() => expect(urls.length).toBe(8))
    expect(urls.slice(4).every((u) => u.includes('channel_id=2'))).toBe(true)
    await nextTick()
  })

  it('shows a shared URL’s channel once the directory has loaded', async () => {
    const router = makeRouter()
    const pinia = createPinia()
    setActivePinia(pinia)
    await router.push('/reports?channel=2&interval=week')
    app = createApp({ render: () => h(RouterView) })
    app.use(pinia).use(router).mount(el)
    await vi.waitFor(() => expect(urls.length).toBe(4))
    expect(urls.every((u) => u.includes('channel_id=2') && u.includes('interval=week'))).toBe(true)
    const desk = useDesk()
    desk.channels = [{ id: 1, kind: 'api', name: 'Demo API' }, { id: 2, kind: 'email', name: 'Mail' }] as typeof desk.channels
    await nextTick()
    await nextTick()
    expect((el.querySelector('select[name="channel"]') as HTMLSelectElement).value).toBe('2')
    expect((el.querySelector('select[name="interval"]') as HTMLSelectElement).value).toBe('week')
    expect(el.querySelector('.series-chart figcaption')!.textContent).toContain('per week')
  })
})
