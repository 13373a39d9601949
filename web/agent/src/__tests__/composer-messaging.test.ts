import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import Composer from '../components/Composer.vue'
import { useDesk } from '../stores/desk'
import { toasts } from '../stores/toasts'
import type { Channel, Message, TicketDetail } from '../types'

const H = 3_600_000
const wa = {
  id: 7, kind: 'whatsapp', name: 'WhatsApp', settings: {}, enabled: true, secrets_set: [], created_at: 0, updated_at: 0,
  capabilities: { identities: ['phone'], send_window_seconds: 86400, templates: true },
} as Channel
const sms = { ...wa, id: 8, kind: 'sms', name: 'SMS', capabilities: { identities: ['phone'], segments: true, max_length: 20 } } as Channel
const tg = { ...wa, id: 9, kind: 'telegram', name: 'Telegram', capabilities: { identities: ['phone'], send_window_seconds: 3600 } } as Channel
const inbound = (channel_id: number, ago: number): Message => ({
  id: 1, ticket_id: 1, kind: 'message', direction: 'in', author_type: 'contact', channel_id, address: { kind: 'phone', value: '+31612345678' },
  text: 'Hi', attachments: [], created_at: Date.now() - ago, updated_at: 0,
})
const ticket = (channel_id: number, messages: Message[], opt_outs: string[] = []) => ({
  id: 1, number: 42, channel_id, messages,
  contact: { id: 3, name: 'Jan Jansen', identities: [{ kind: 'phone', value: '+31612345678' }], opt_outs, attributes: {} },
}) as unknown as TicketDetail

describe('composer on messaging channels', () => {
  let el: HTMLElement
  let app: ReturnType<typeof createApp> | null = null
  let posted: any[]
  let answer: () => Response
  beforeEach(() => {
    posted = []
    answer = () => new Response(JSON.stringify({ id: 99, ticket_id: 1, kind: 'message', text: '', attachments: [], created_at: 0, updated_at: 0 }))
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      if (url === '/api/v1/channels/7/templates') {
        return new Response(JSON.stringify({ templates: [
          { name: 'order_update', language: 'nl', body: 'Hoi {{1}}, over ticket #{{2}}: {{3}}', params: 3, status: 'APPROVED' },
          { name: 'draft', language: 'nl', body: 'x', params: 0, status: 'PENDING' },
        ] }))
      }
      posted.push(JSON.parse(String(init.body)))
      return answer()
    }))
    el = document.createElement('div')
    document.body.appendChild(el)
    toasts.splice(0)
  })
  afterEach(() => {
    app?.unmount()
    el.remove()
    vi.unstubAllGlobals()
  })
  async function mount(tk: TicketDetail) {
    const pinia = createPinia()
    app = createApp({ render: () => h(Composer, { ticket: tk, othersTyping: () => [] }) })
    app.use(pinia)
    useDesk(pinia).channels = [wa, sms, tg]
    app.mount(el)
    await nextTick()
  }
  const q = (s: string) => el.querySelector(s) as HTMLInputElement
  const type = async (s: string, v: string) => {
    const i = q(s)
    i.value = v
    i.dispatchEvent(new Event(i.tagName === 'SELECT' ? 'change' : 'input'))
    await nextTick()
  }
  const send = () => el.querySelector('form')!.dispatchEvent(new Event('submit'))

  it('shows the time left in the WhatsApp window and sends free text while it is open', async () => {
    await mount(ticket(7, [inbound(7, 21 * H)]))
    expect(q('[data-testid="reply-limits"]').textContent).toContain('WhatsApp window closes in 3 h 0 min')
    expect(q('#composer-text').disabled).toBe(false)
    await type('#composer-text', 'Hello')
    send()
    await vi.waitFor(() => expect(posted).toHaveLength(1))
    expect(posted[0]).toMatchObject({ text: 'Hello', channel_id: 7 })
    expect(posted[0].template).toBeUndefined()
  })

  it('offers approved templates once the window closed, prefilled, and sends the chosen one', async () => {
    await mount(ticket(7, [inbound(7, 25 * H)]))
    expect(el.textContent).toContain('The WhatsApp window is closed')
    expect(q('#composer-text').disabled).toBe(true)
    await vi.waitFor(() => expect(el.querySelectorAll('select[name="template"] option')).toHaveLength(2))
    await type('select[name="template"]', 'order_update|nl')
    expect(q('[name="template-param-1"]').value).toBe('Jan Jansen')
    expect(q('[name="template-param-2"]').value).toBe('42')
    expect(q('[data-testid="template-preview"]').textContent).toBe('Hoi Jan Jansen, over ticket #42: {{3}}')
    const submit = el.querySelector('button[type="submit"]') as HTMLButtonElement
    expect(submit.disabled).toBe(true)
    await type('[name="template-param-3"]', 'verzonden')
    expect(submit.disabled).toBe(false)
    send()
    await vi.waitFor(() => expect(posted).toHaveLength(1))
    expect(posted[0]).toMatchObject({
      channel_id: 7, text: 'Hoi Jan Jansen, over ticket #42: verzonden',
      template: { name: 'order_update', language: 'nl', params: ['Jan Jansen', '42', 'verzonden'] },
    })
  })

  it('asks the customer to write first where a closed window has no templates', async () => {
    await mount(ticket(9, [inbound(7, H)]))
    expect(el.textContent).toContain('The Telegram window is closed')
    expect(el.textContent).toContain('The customer must write first')
    expect((el.querySelector('button[type="submit"]') as HTMLButtonElement).disabled).toBe(true)
  })

  it('counts SMS segments and shows the length counter near the maximum', async () => {
    await mount(ticket(8, [inbound(8, H)]))
    await type('#composer-text', 'Hello €')
    expect(q('[data-testid="sms-count"]').textContent!.trim()).toBe('7 characters · 1 SMS (GSM-7)')
    expect(q('[data-testid="length-count"]')).toBeNull()
    await type('#composer-text', 'Grüß dich 😀 und so')
    expect(q('[data-testid="sms-count"]').textContent!.trim()).toBe('18 characters · 1 SMS (Unicode)')
    expect(q('[data-testid="length-count"]').textContent!.trim()).toBe('18 / 20')
  })

  it('does not send to a customer who opted out of the channel', async () => {
    await mount(ticket(8, [inbound(8, H)], ['sms']))
    expect(el.querySelector('[role="alert"]')!.textContent).toContain('The customer opted out of SMS')
    expect(q('#composer-text').disabled).toBe(true)
    expect((el.querySelector('button[type="submit"]') as HTMLButtonElement).disabled).toBe(true)
  })

  it('explains a refusal by the server', async () => {
    answer = () => new Response(JSON.stringify({ error: { code: 'outside_window', message: 'outside the window' } }), { status: 422 })
    await mount(ticket(7, [inbound(7, H)]))
    await type('#composer-text', 'Hello')
    send()
    await vi.waitFor(() => expect(toasts.map((t) => t.text)).toContain(
      'The customer-service window is closed: send a template, or wait until the customer writes.'))
  })
})
