import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import AdminTemplates from '../components/admin/AdminTemplates.vue'
import AdminWebhooks from '../components/admin/AdminWebhooks.vue'
import { useDesk } from '../stores/desk'
import { toasts } from '../stores/toasts'
import type { Webhook } from '../types'
import { json } from './automation-fixtures'

let app: ReturnType<typeof createApp> | null = null
let el: HTMLElement
let calls: { method: string; url: string; body?: any }[]
beforeEach(() => {
  calls = []
  el = document.createElement('div')
  document.body.appendChild(el)
  setActivePinia(createPinia())
})
afterEach(() => {
  app?.unmount()
  app = null
  el.remove()
  vi.unstubAllGlobals()
  vi.useRealTimers()
})
function serve(handler: (method: string, url: string, body: any) => Response) {
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET'
    const body = init.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ method, url, body })
    return handler(method, url, body)
  }))
}
function mount(c: object) {
  app = createApp({ render: () => h(c) })
  app.use(createPinia()).mount(el)
}
const button = (text: string) => [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === text) as HTMLButtonElement

describe('webhooks', () => {
  const broken: Webhook = {
    id: 1, url: 'https://shop.example/hooks/loket', events: ['ticket.created'], active: false,
    disabled_reason: '10 deliveries in a row failed: 502 Bad Gateway', failures: 10, created_at: 1,
  }
  const paused: Webhook = { id: 2, url: 'https://crm.example/in', events: ['message.received'], active: false, disabled_reason: '', failures: 0, created_at: 1 }

  it('shows the secret of a new webhook once, with a copy button, and never again', async () => {
    const hooks: Webhook[] = []
    serve((method, url, body) => {
      if (url === '/api/v1/webhooks/event-types') return json(['ticket.created', 'message.received'])
      if (url === '/api/v1/webhooks' && method === 'POST') {
        const w = { id: 3, ...body, active: true, disabled_reason: '', failures: 0, created_at: 2 }
        hooks.push(w)
        return json({ ...w, secret: 'whsec_0123456789abcdef' })
      }
      if (url === '/api/v1/webhooks') return json(hooks)
      return json({ error: { code: 'not_found', message: 'no' } }, 404)
    })
    const written: string[] = []
    vi.stubGlobal('navigator', { clipboard: { writeText: async (s: string) => void written.push(s) } })
    mount(AdminWebhooks)
    await vi.waitFor(() => expect(el.textContent).toContain('No webhooks yet.'))
    button('+ New webhook').click()
    await nextTick()
    const url = el.querySelector('input[name="webhook-url"]') as HTMLInputElement
    url.value = 'https://shop.example/hooks/loket'
    url.dispatchEvent(new Event('input'))
    // no event chosen: refused before anything is sent
    ;(el.querySelector('.webhook-form') as HTMLFormElement).dispatchEvent(new Event('submit'))
    await nextTick()
    expect(el.querySelector('.webhook-form [role="alert"]')!.textContent).toBe('Choose at least one event.')
    ;(el.querySelector('input[name="webhook-events"][value="ticket.created"]') as HTMLInputElement).click()
    ;(el.querySelector('.webhook-form') as HTMLFormElement).dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(el.querySelector('[data-testid="webhook-secret"]')).not.toBeNull())
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ url: 'https://shop.example/hooks/loket', events: ['ticket.created'] })
    const box = el.querySelector('[data-testid="webhook-secret"]')!
    expect(box.querySelector('[data-testid="secret-value"]')!.textContent).toBe('whsec_0123456789abcdef')
    expect(box.textContent).toContain('it will not be shown again')
    ;[...box.querySelectorAll('button')].find((b) => b.textContent === 'Copy')!.click()
    await vi.waitFor(() => expect(box.textContent).toContain('Copied'))
    expect(written).toEqual(['whsec_0123456789abcdef'])
    await vi.waitFor(() => expect(el.querySelector('tr[data-webhook="3"]')).not.toBeNull())
    // the list never carries the secret
    expect(el.querySelector('tr[data-webhook="3"]')!.textContent).not.toContain('whsec_')
    button('I have stored it').click()
    await nextTick()
    expect(el.querySelector('[data-testid="webhook-secret"]')).toBeNull()
    expect(el.textContent).not.toContain('whsec_')
  })

  it('puts webhooks disabled after failures first, with their reason and a button to enable them again', async () => {
    let hooks = [paused, broken]
    serve((method, url, body) => {
      if (url === '/api/v1/webhooks/event-types') return json({ event_types: ['ticket.created'] })
      if (url === '/api/v1/webhooks') return json({ webhooks: hooks })
      if (url === '/api/v1/webhooks/1' && method === 'PATCH') {
        hooks = hooks.map((w) => (w.id === 1 ? { ...w, ...body, disabled_reason: '', failures: 0 } : w))
        return json(hooks.find((w) => w.id === 1))
      }
      return json({ error: { code: 'not_found', message: 'no' } }, 404)
    })
    mount(AdminWebhooks)
    await vi.waitFor(() => expect(el.querySelector('[data-testid="webhooks-disabled"]')).not.toBeNull())
    const alert = el.querySelector('[data-testid="webhooks-disabled"]')!
    expect(alert.getAttribute('role')).toBe('alert')
    expect(alert.textContent).toContain('Disabled after repeated failures (1):')
    expect(alert.textContent).toContain('https://shop.example/hooks/loket')
    expect(alert.textContent).toContain('502 Bad Gateway')
    expect(alert.textContent).not.toContain('crm.example')
    expect(el.querySelector('tr[data-webhook="1"]')!.textContent).toContain('10 failed in a row')
    expect(el.querySelector('tr[data-webhook="2"]')!.textContent).toContain('Paused')
    ;(alert.querySelector('button') as HTMLButtonElement).click()
    await vi.waitFor(() => expect(el.querySelector('[data-testid="webhooks-disabled"]')).toBeNull())
    expect(calls.find((c) => c.method === 'PATCH')).toEqual({ method: 'PATCH', url: '/api/v1/webhooks/1', body: { active: true } })
    expect(el.querySelector('tr[data-webhook="1"]')!.textContent).toContain('Active')
  })

  it('lists deliveries and sends one again', async () => {
    serve((method, url) => {
      if (url === '/api/v1/webhooks/event-types') return json(['ticket.created'])
      if (url === '/api/v1/webhooks') return json([{ ...broken, active: true, disabled_reason: '', failures: 1 }])
      if (url === '/api/v1/webhooks/1/deliveries?limit=50') {
        return json({ deliveries: [{ id: 7, event_type: 'ticket.created', payload: { type: 'ticket.created', ticket: { number: 10004 } }, state: 'failed', attempts: 5, response_status: 502, response_body: 'Bad Gateway', error: '', created_at: 1 }] })
      }
      if (url === '/api/v1/webhook-deliveries/7/redeliver' && method === 'POST') {
        return json({ id: 8, redelivery_of: 7, event_type: 'ticket.created', state: 'pending', attempts: 0, response_status: 0, response_body: '', error: '', created_at: 2 })
      }
      return json({ error: { code: 'not_found', message: 'no' } }, 404)
    })
    mount(AdminWebhooks)
    await vi.waitFor(() => expect(el.querySelector('tr[data-webhook="1"]')).not.toBeNull())
    button('Deliveries').click()
    await vi.waitFor(() => expect(el.querySelector('tr[data-delivery="7"]')).not.toBeNull())
    const row = el.querySelector('tr[data-delivery="7"]')!
    expect(row.textContent).toContain('Failed')
    expect(row.textContent).toContain('502 Bad Gateway')
    expect(row.querySelector('pre.payload')!.textContent).toContain('"number": 10004')
    ;(row.querySelector('button') as HTMLButtonElement).click()
    // sent again as a new delivery, listed first; the failed one stays as it was
    await vi.waitFor(() => expect(el.querySelectorAll('tr[data-delivery]').length).toBe(2))
    const [again, first] = [...el.querySelectorAll('tr[data-delivery]')]
    expect(again.getAttribute('data-delivery')).toBe('8')
    expect(again.textContent).toContain('Pending')
    expect(again.textContent).toContain('sent again from #7')
    expect(first.textContent).toContain('Failed')
  })

  it('tells a signed-in admin at once when Loket turns a webhook off', () => {
    const desk = useDesk()
    desk.applyEvent({ type: 'webhook.disabled', webhook: { id: 1, url: 'https://shop.example/hooks/loket', disabled_reason: '10 failed' } })
    const last = toasts.at(-1)!
    expect(last).toMatchObject({ kind: 'error', to: '/admin/webhooks', text: 'The webhook to https://shop.example/hooks/loket was turned off after repeated failures.' })
  })

  it('says so when the server has no webhooks', async () => {
    serve(() => json({ error: { code: 'not_found', message: 'not found' } }, 404))
    mount(AdminWebhooks)
    await vi.waitFor(() => expect(el.textContent).toContain('Webhooks are not available on this server.'))
  })
})

describe('message templates', () => {
  it('previews the text with a ticket while typing, once typing pauses, and shows template errors', async () => {
    serve((method, url, body) => {
      if (url === '/api/v1/templates' && method === 'GET') {
        return json([{ id: 1, name: 'order-delivery', language: 'nl', subject: '', body: 'Je bestelling {{.order.number}} komt eraan', updated_at: 1 }])
      }
      if (url === '/api/v1/templates/preview') {
        if (body.body.includes('.missing')) return json({ error: { code: 'template_error', message: 'line 1: no value for missing' } }, 422)
        return json({ subject: '', body: body.body.replace('{{.order.number}}', body.ticket_number ? '123' : '') })
      }
      return json({ error: { code: 'not_found', message: 'no' } }, 404)
    })
    mount(AdminTemplates)
    await vi.waitFor(() => expect(el.querySelector('tr[data-template="1"]')).not.toBeNull())
    expect(el.querySelector('tr[data-template="1"]')!.textContent).toContain('Nederlands')
    button('Edit').click()
    await nextTick()
    const ticket = el.querySelector('input[name="preview-ticket"]') as HTMLInputElement
    ticket.value = '10004'
    ticket.dispatchEvent(new Event('input'))
    await vi.waitFor(() => expect(el.querySelector('[data-testid="preview-body"]')?.textContent).toBe('Je bestelling 123 komt eraan'))
    const previews = () => calls.filter((c) => c.url === '/api/v1/templates/preview')
    expect(previews().at(-1)!.body).toEqual({ subject: '', body: 'Je bestelling {{.order.number}} komt eraan', language: 'nl', ticket_number: 10004 })

    // several keystrokes in a row make one request
    const before = previews().length
    const text = el.querySelector('textarea[name="template-body"]') as HTMLTextAreaElement
    for (const s of ['Hoi {{.', 'Hoi {{.missing', 'Hoi {{.missing}}']) {
      text.value = s
      text.dispatchEvent(new Event('input'))
      await nextTick()
    }
    await vi.waitFor(() => expect(el.querySelector('[data-testid="preview-error"]')?.textContent).toBe('line 1: no value for missing'))
    expect(previews().length).toBe(before + 1)
  })

  it('saves a template in another language under the same name', async () => {
    serve((method, url, body) => {
      if (url === '/api/v1/templates' && method === 'GET') return json([{ id: 1, name: 'order-delivery', language: 'nl', subject: '', body: 'Je bestelling', updated_at: 1 }])
      if (url === '/api/v1/templates' && method === 'POST') return json({ id: 2, ...body })
      if (url === '/api/v1/templates/preview') return json({ subject: '', body: body.body })
      return json({ error: { code: 'not_found', message: 'no' } }, 404)
    })
    mount(AdminTemplates)
    await vi.waitFor(() => expect(el.querySelector('tr[data-template="1"]')).not.toBeNull())
    button('+ Add language').click()
    await nextTick()
    expect((el.querySelector('input[name="template-name"]') as HTMLInputElement).value).toBe('order-delivery')
    expect((el.querySelector('select[name="template-language"]') as HTMLSelectElement).value).toBe('en')
    const text = el.querySelector('textarea[name="template-body"]') as HTMLTextAreaElement
    text.value = 'Your order'
    text.dispatchEvent(new Event('input'))
    ;(el.querySelector('.template-editor form') as HTMLFormElement).dispatchEvent(new Event('submit'))
    await vi.waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url === '/api/v1/templates')).toBe(true))
    expect(calls.find((c) => c.method === 'POST' && c.url === '/api/v1/templates')!.body).toEqual({
      name: 'order-delivery', language: 'en', subject: '', body: 'Your order',
    })
  })
})
