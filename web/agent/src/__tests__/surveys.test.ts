import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import ApiChannelForm from '../components/admin/ApiChannelForm.vue'
import SurveySection from '../components/reports/SurveySection.vue'
import { useDesk } from '../stores/desk'
import { toasts } from '../stores/toasts'
import { addSurveyLanguage, csatAverage, npsScore, surveyForm, surveyQuery, surveySettings, surveyTextProblem, withSurvey } from '../survey'
import type { Channel } from '../types'

const nps = (...scores: number[]) => scores.map((score) => ({ kind: 'nps' as const, score }))
const csat = (...scores: number[]) => scores.map((score) => ({ kind: 'csat' as const, score }))

describe('survey figures', () => {
  it('computes the NPS: promoters (9–10) minus detractors (0–6), in percent', () => {
    expect(npsScore([])).toBeNull()
    expect(npsScore(csat(5, 5))).toBeNull()
    expect(npsScore(nps(10, 9, 8, 7))).toBe(50)
    expect(npsScore(nps(0, 6, 9, 7))).toBe(-25)
    expect(npsScore(nps(10, 10))).toBe(100)
    expect(npsScore(nps(0, 3))).toBe(-100)
    expect(npsScore(nps(7, 8))).toBe(0)
    expect(npsScore(nps(9, 6, 8))).toBe(0)
    expect(npsScore(nps(10, 9, 0))).toBe(33)
    // unanswered (-1) and CSAT answers do not count
    expect(npsScore([...nps(10, -1), ...csat(1)])).toBe(100)
  })
  it('averages the CSAT answers', () => {
    expect(csatAverage([])).toBeNull()
    expect(csatAverage(nps(10))).toBeNull()
    expect(csatAverage([...csat(5, 4, 3, -1), ...nps(0)])).toBe(4)
    expect(csatAverage(csat(1, 2))).toBe(1.5)
  })
})

describe('survey settings and the form', () => {
  it('reads defaults when a channel has no survey', () => {
    expect(surveyForm(undefined)).toEqual({ csat: false, nps: false, delay_minutes: 60, nps_interval_days: 90, texts: {} })
    expect(surveyForm('x')).toEqual({ csat: false, nps: false, delay_minutes: 60, nps_interval_days: 90, texts: {} })
  })
  it('reads stored settings', () => {
    expect(surveyForm({ csat: true, delay_seconds: 0, nps: true, nps_interval_days: 30 })).toEqual({ csat: true, nps: true, delay_minutes: 0, nps_interval_days: 30, texts: {} })
    expect(surveyForm({ csat: true, delay_seconds: 1800 })).toEqual({ csat: true, nps: false, delay_minutes: 30, nps_interval_days: 90, texts: {} })
  })
  it('saves nothing for a channel without surveys that stay off', () => {
    expect(surveySettings(surveyForm(undefined), undefined)).toBeUndefined()
    expect(withSurvey({ bot: { enabled: true } }, surveyForm(undefined), undefined)).toEqual({ bot: { enabled: true } })
  })
  it('saves the form’s values in seconds and keeps the texts', () => {
    const texts = { nl: { csat: 'Hoe hebben we u geholpen?' } }
    expect(surveySettings({ csat: true, nps: false, delay_minutes: 15, nps_interval_days: 90 }, undefined)).toEqual({ csat: true, nps: false, delay_seconds: 900, nps_interval_days: 90 })
    expect(surveySettings({ csat: false, nps: true, delay_minutes: 0, nps_interval_days: 30 }, { csat: true, texts })).toEqual({ csat: false, nps: true, delay_seconds: 0, nps_interval_days: 30, texts })
    // switching both off keeps the stored survey, off
    expect(surveySettings({ csat: false, nps: false, delay_minutes: 60, nps_interval_days: 90 }, { csat: true, texts })).toMatchObject({ csat: false, nps: false, texts })
  })
  it('edits the texts per language, dropping empty ones, and checks them', () => {
    const stored = { csat: true, texts: { nl: { csat: 'Hoe hebben we u geholpen?', link: 'Geef een cijfer: {{link}}' } } }
    const f = surveyForm(stored)
    expect(f.texts?.nl).toEqual({ csat: 'Hoe hebben we u geholpen?', nps: '', link: 'Geef een cijfer: {{link}}', thanks: '' })
    addSurveyLanguage(f, ' DE ')
    addSurveyLanguage(f, 'nl')
    f.texts!.de.thanks = '  Danke!  '
    f.texts!.nl.csat = ''
    expect(surveySettings(f, stored)).toMatchObject({ texts: { nl: { link: 'Geef een cijfer: {{link}}' }, de: { thanks: 'Danke!' } } })
    delete f.texts!.nl
    delete f.texts!.de
    expect(surveySettings(f, stored)).not.toHaveProperty('texts')
    expect(surveyTextProblem('nl', { csat: '', nps: '', link: 'A score please', thanks: '' })).toBe('link')
    expect(surveyTextProblem('n1', { csat: '', nps: '', link: '', thanks: '' })).toBe('code')
    expect(surveyTextProblem('de', { csat: 'x', nps: '', link: 'y {{link}}', thanks: '' })).toBe('')
  })
  it('keeps a stored delay the minutes do not change, and round-trips', () => {
    const stored = { csat: true, nps: true, delay_seconds: 90, nps_interval_days: 45 }
    expect(surveySettings(surveyForm(stored), stored)).toEqual(stored)
    expect(surveySettings({ ...surveyForm(stored), delay_minutes: 3 }, stored)).toMatchObject({ delay_seconds: 180 })
  })
  it('replaces bad numbers by the defaults', () => {
    expect(surveySettings({ csat: true, nps: true, delay_minutes: NaN, nps_interval_days: 0 }, undefined)).toEqual({ csat: true, nps: true, delay_seconds: 3600, nps_interval_days: 90 })
  })
  it('leaves the other settings alone', () => {
    const s = withSurvey({ webhook_url: 'https://x', bot: { enabled: true } }, { csat: true, nps: false, delay_minutes: 60, nps_interval_days: 90 }, undefined)
    expect(s).toEqual({ webhook_url: 'https://x', bot: { enabled: true }, survey: { csat: true, nps: false, delay_seconds: 3600, nps_interval_days: 90 } })
  })
  it('asks the surveys API for the period’s local days in Unix milliseconds', () => {
    const q = new URLSearchParams(surveyQuery({ kind: 'nps', from: '2025-12-04', to: '2025-12-10', channel_id: 2, team_id: null }))
    expect(q.get('kind')).toBe('nps')
    expect(Number(q.get('from'))).toBe(new Date(2025, 11, 4).getTime())
    expect(Number(q.get('to'))).toBe(new Date(2025, 11, 11).getTime())
    expect(q.get('channel_id')).toBe('2')
    expect(q.has('team_id')).toBe(false)
    expect(new URLSearchParams(surveyQuery({ kind: '', from: '2025-12-31', to: '2025-12-31' })).get('to')).toBe(String(new Date(2026, 0, 1).getTime()))
  })
})

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status })

describe('SurveySection', () => {
  let el: HTMLElement
  let app: ReturnType<typeof createApp> | null = null
  let urls: string[]
  beforeEach(() => {
    urls = []
    el = document.createElement('div')
    document.body.appendChild(el)
  })
  afterEach(() => {
    app?.unmount()
    app = null
    el.remove()
    vi.unstubAllGlobals()
  })

  it('lists the answers with ticket links and shows the NPS and CSAT average; the kind filter reloads', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      urls.push(url)
      const all = [
        { id: 3, ticket_id: 12, contact_id: 1, channel_id: 1, kind: 'nps', score: 10, comment: 'Great', answered_at: Date.UTC(2025, 11, 9, 10), created_at: 0 },
        { id: 2, ticket_id: 11, contact_id: 1, channel_id: 1, kind: 'nps', score: 3, comment: '', answered_at: Date.UTC(2025, 11, 8, 10), created_at: 0 },
        { id: 1, ticket_id: 10, contact_id: 2, channel_id: 2, kind: 'csat', score: 4, comment: 'Quick', answered_at: Date.UTC(2025, 11, 7, 10), created_at: 0 },
        { id: 4, ticket_id: 13, contact_id: 2, channel_id: 2, kind: 'nps', score: 9, answered_at: Date.UTC(2025, 11, 6, 10), created_at: 0 },
      ]
      const kind = new URLSearchParams(url.split('?')[1]).get('kind')
      return json({ surveys: all.filter((a) => !kind || a.kind === kind) })
    }))
    const pinia = createPinia()
    setActivePinia(pinia)
    const desk = useDesk()
    desk.channels = [{ id: 1, kind: 'api', name: 'Demo API' }, { id: 2, kind: 'email', name: 'Mail' }] as typeof desk.channels
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { render: () => null } }, { path: '/tickets/:id', component: { render: () => null } }] })
    app = createApp({ render: () => h(SurveySection, { from: '2025-12-04', to: '2025-12-10', channelId: null, teamId: 3 }) })
    app.use(pinia).use(router).mount(el)
    await vi.waitFor(() => expect(el.querySelectorAll('tbody tr').length).toBe(4))
    const q = new URLSearchParams(urls[0].split('?')[1])
    expect(urls[0].startsWith('/api/v1/surveys?')).toBe(true)
    expect(q.get('team_id')).toBe('3')
    expect(q.has('kind')).toBe(false)
    // NPS over 3 answers: 2 promoters, 1 detractor
    expect(el.querySelector('[data-figure="nps"] dd')!.textContent).toBe('+33%')
    expect(el.querySelector('[data-figure="csat"] dd')!.textContent).toBe('4.0')
    const first = el.querySelector('tbody tr')!
    expect(first.textContent).toContain('NPS')
    expect(first.textContent).toContain('Great')
    expect(first.textContent).toContain('Demo API')
    expect(first.querySelector('a')!.getAttribute('href')).toBe('/tickets/12')

    const kind = el.querySelector('select[name="survey-kind"]') as HTMLSelectElement
    kind.value = 'csat'
    kind.dispatchEvent(new Event('change'))
    await vi.waitFor(() => expect(el.querySelectorAll('tbody tr').length).toBe(1))
    expect(new URLSearchParams(urls[1].split('?')[1]).get('kind')).toBe('csat')
    expect(el.querySelector('[data-figure="nps"] dd')!.textContent).toBe('–')
    expect(el.querySelector('tbody tr')!.textContent).toContain('Mail')
  })

  it('shows the error of a failed load', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: { code: 'forbidden', message: 'supervisors only' } }, 403)))
    const pinia = createPinia()
    setActivePinia(pinia)
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { render: () => null } }] })
    app = createApp({ render: () => h(SurveySection, { from: '2025-12-04', to: '2025-12-10', channelId: null, teamId: null }) })
    app.use(pinia).use(router).mount(el)
    await vi.waitFor(() => expect(el.querySelector('[role="alert"]')?.textContent).toContain('supervisors only'))
  })
})

describe('survey settings in a channel form', () => {
  let el: HTMLElement
  let app: ReturnType<typeof createApp> | null = null
  let bodies: any[]
  const channel = {
    id: 5, kind: 'api', name: 'Demo API', enabled: true, team_id: 1,
    settings: { webhook_url: 'https://shop.example/hook', bot: { enabled: true }, survey: { csat: false, texts: { nl: { csat: 'Hoe?' } } } },
    secrets_set: ['secret'],
  } as unknown as Channel
  beforeEach(() => {
    bodies = []
    toasts.splice(0)
    el = document.createElement('div')
    document.body.appendChild(el)
    setActivePinia(createPinia())
  })
  afterEach(() => {
    app?.unmount()
    app = null
    el.remove()
    vi.unstubAllGlobals()
  })

  function mount() {
    app = createApp({ render: () => h(ApiChannelForm, { channel }) })
    app.use(createPinia()).mount(el)
  }
  const submit = () => (el.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit', { cancelable: true }))

  it('sends settings.survey with the texts and the other settings kept', async () => {
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)))
      return json({ ...channel, settings: bodies[0].settings })
    }))
    mount()
    const csatBox = el.querySelector('input[name="survey-csat"]') as HTMLInputElement
    expect(csatBox.checked).toBe(false)
    expect((el.querySelector('input[name="survey-delay"]') as HTMLInputElement).value).toBe('60')
    csatBox.checked = true
    csatBox.dispatchEvent(new Event('change'))
    const delay = el.querySelector('input[name="survey-delay"]') as HTMLInputElement
    delay.value = '5'
    delay.dispatchEvent(new Event('input'))
    submit()
    await vi.waitFor(() => expect(bodies.length).toBe(1))
    expect(bodies[0].settings).toEqual({
      webhook_url: 'https://shop.example/hook',
      bot: { enabled: true },
      survey: { csat: true, nps: false, delay_seconds: 300, nps_interval_days: 90, texts: { nl: { csat: 'Hoe?' } } },
    })
    await vi.waitFor(() => expect(toasts.some((t) => t.kind === 'info')).toBe(true))
  })

  it('shows the server’s message of a 422', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: { code: 'invalid', message: 'survey: nps_interval_days must be at least 1' } }, 422)))
    mount()
    submit()
    await vi.waitFor(() => expect(toasts.find((t) => t.kind === 'error')?.text).toContain('survey: nps_interval_days must be at least 1'))
  })
})
