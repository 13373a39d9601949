import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { defaultSendAt, localInput, parseLocalInput } from '../compose'
import MessageItem from '../components/MessageItem.vue'
import { compactData } from '../externalEvents'
import { dateTime, setLocale } from '../i18n'
import { useDesk } from '../stores/desk'
import { eventText, ruleLink } from '../timeline'
import type { Message, TicketDetail } from '../types'
import { json } from './automation-fixtures'

const ran = {
  event: 'rule.ran', rule: 'Complaints to the complaints team', rule_id: 1, version: 3, actions: ['team → Complaints', 'priority → high'], error: '',
}
const base: Message = { id: 5, ticket_id: 1, kind: 'message', author_type: 'agent', text: 'hello', attachments: [], created_at: 0, updated_at: 0 }
const event: Message = { ...base, id: 6, kind: 'event', author_type: 'system', text: 'Rule "Complaints to the complaints team" ran', meta: ran }

describe('rule runs on the timeline', () => {
  afterEach(() => setLocale('en'))

  it('names the rule and what it did, in the agent language', async () => {
    expect(eventText({ meta: ran })).toBe('Rule “Complaints to the complaints team”: team → Complaints; priority → high')
    await setLocale('nl')
    expect(eventText({ meta: ran })).toBe('Regel “Complaints to the complaints team”: team → Complaints; priority → high')
    await setLocale('de')
    expect(eventText({ meta: { ...ran, actions: [] } })).toBe('Regel „Complaints to the complaints team“: keine')
  })

  it('says when a rule failed', () => {
    expect(eventText({ meta: { ...ran, error: 'template order-delivery: no value for order.number' } })).toBe(
      'Rule “Complaints to the complaints team” failed: template order-delivery: no value for order.number',
    )
  })

  it('links to the rule in the admin section', () => {
    expect(ruleLink({ meta: ran })).toBe('/admin/rules?rule=1')
    expect(ruleLink({ meta: { event: 'rule.ran', rule: 'x' } })).toBeNull()
    expect(ruleLink({ meta: { event: 'ticket.changed', rule_id: 1 } })).toBeNull()
  })
})

describe('MessageItem with rule runs and scheduled replies', () => {
  let app: ReturnType<typeof createApp> | null = null
  afterEach(() => {
    app?.unmount()
    app = null
  })
  function mount(message: Message, extra: Record<string, unknown> = {}, withRouter = false) {
    const el = document.createElement('div')
    document.body.appendChild(el)
    app = createApp({ render: () => h(MessageItem, { message, agentName: () => 'Ann', ...extra }) })
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
    if (withRouter) app.use(router)
    app.mount(el)
    return { el, router }
  }

  it('shows a rule run as one event line with a link that opens the rule in the app', async () => {
    const { el, router } = mount(event, {}, true)
    expect(el.querySelector('.msg')!.classList.contains('event')).toBe(true)
    expect(el.querySelector('.event-text')!.textContent).toContain('Rule “Complaints to the complaints team”: team → Complaints; priority → high')
    const a = el.querySelector('a.rule-link') as HTMLAnchorElement
    expect(a.getAttribute('href')).toBe('/admin/rules?rule=1')
    expect(a.textContent).toBe('Open rule')
    a.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }))
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/admin/rules?rule=1'))
  })

  it('does not link the rule for agents who cannot edit rules', () => {
    const { el } = mount(event, { linkRules: false })
    expect(el.querySelector('a.rule-link')).toBeNull()
    expect(el.textContent).toContain('team → Complaints')
  })

  it('shows when a scheduled reply goes out, with a Cancel button', () => {
    const sendAt = Date.UTC(2026, 11, 9, 9, 0)
    let cancelled = 0
    const { el } = mount(
      { ...base, direction: 'out', delivery_status: 'scheduled', send_at: sendAt },
      { onCancelSchedule: (id: number) => (cancelled = id) },
    )
    const ds = el.querySelector('.ds')!
    expect(ds.getAttribute('data-status')).toBe('scheduled')
    expect(ds.textContent).toContain(`Scheduled for ${dateTime(sendAt)}`)
    const btn = el.querySelector('footer button') as HTMLButtonElement
    expect(btn.textContent?.trim()).toBe('Cancel')
    expect(btn.getAttribute('aria-label')).toBe(`Cancel the reply scheduled for ${dateTime(sendAt)}`)
    btn.click()
    expect(cancelled).toBe(5)
  })

  it('shows a cancelled reply as cancelled, without buttons', () => {
    const { el } = mount({ ...base, direction: 'out', delivery_status: 'cancelled', send_at: 1 })
    expect(el.querySelector('.ds')!.textContent).toContain('Cancelled')
    expect(el.querySelector('footer button')).toBeNull()
  })
})

describe('cancelling a scheduled reply', () => {
  afterEach(() => vi.unstubAllGlobals())
  const ticket = (messages: Message[]) => ({ id: 1, number: 10004, contact: { id: 1 }, messages, updated_at: 0 }) as unknown as TicketDetail

  it('shows the message as cancelled when the server keeps it', async () => {
    const calls: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      calls.push(`${init.method} ${url}`)
      return json({ ...base, delivery_status: 'cancelled', updated_at: 2 })
    }))
    setActivePinia(createPinia())
    const desk = useDesk()
    desk.current = ticket([{ ...base, delivery_status: 'scheduled', send_at: 10, updated_at: 1 }])
    await desk.cancelSchedule(5)
    expect(calls).toEqual(['DELETE /api/v1/messages/5/schedule'])
    expect(desk.current!.messages[0].delivery_status).toBe('cancelled')
  })

  it('takes the message off the timeline when the server deleted it', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })))
    setActivePinia(createPinia())
    const desk = useDesk()
    desk.current = ticket([{ ...base, id: 4 }, { ...base, delivery_status: 'scheduled', send_at: 10 }])
    await desk.cancelSchedule(5)
    expect(desk.current!.messages.map((m) => m.id)).toEqual([4])
  })
})

describe('send later', () => {
  it('reads and writes the datetime-local value in local time', () => {
    const ms = new Date(2026, 11, 9, 7, 5).getTime()
    expect(localInput(ms)).toBe('2026-12-09T07:05')
    expect(parseLocalInput('2026-12-09T07:05')).toBe(ms)
    expect(parseLocalInput('')).toBe(0)
    expect(parseLocalInput('tomorrow')).toBe(0)
  })
  it('proposes the next whole hour at least half an hour ahead', () => {
    expect(defaultSendAt(new Date(2026, 11, 9, 7, 5).getTime())).toBe(new Date(2026, 11, 9, 8, 0).getTime())
    expect(defaultSendAt(new Date(2026, 11, 9, 7, 45).getTime())).toBe(new Date(2026, 11, 9, 9, 0).getTime())
  })
  it('posts the reply with send_at, and never a note', async () => {
    const bodies: any[] = []
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)))
      return json(base)
    }))
    const { api } = await import('../api')
    await api.postMessage(1, 'See you', { send_at: 1765270800000 })
    await api.postMessage(1, 'note', { note: true, send_at: 1765270800000 })
    expect(bodies).toEqual([{ text: 'See you', send_at: 1765270800000 }, { text: 'note', note: true }])
    vi.unstubAllGlobals()
  })
})

describe('external events on the contact page', () => {
  it('shows the first values of the data compactly, nested ones under dotted keys', () => {
    const data = {
      order: { number: 'A-123', delivery_date: '2026-12-09', customer: { tier: 'gold' } },
      items: [{ sku: 'BIKE-1', name: 'Cargo bike with a very long name indeed' }], total: 59.95, paid: true, extra: 1, more: 2,
    }
    expect(compactData(data)).toEqual([
      { key: 'order.number', value: 'A-123' },
      { key: 'order.delivery_date', value: '2026-12-09' },
      { key: 'order.customer.tier', value: 'gold' },
      { key: 'items', value: '[{"sku":"BIKE-1","name":"Cargo bike with a very…' },
      { key: 'total', value: '59.95' },
      { key: 'paid', value: 'true' },
    ])
    expect(compactData(null)).toEqual([])
  })
})

describe('the composer', () => {
  let app: ReturnType<typeof createApp> | null = null
  afterEach(() => {
    app?.unmount()
    app = null
    vi.unstubAllGlobals()
  })
  it('schedules a reply for the chosen time', async () => {
    const bodies: any[] = []
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)))
      return json({ ...base, delivery_status: 'scheduled', send_at: 1 })
    }))
    const Composer = (await import('../components/Composer.vue')).default
    const pinia = createPinia()
    setActivePinia(pinia)
    const desk = useDesk()
    desk.channels = [{ id: 1, kind: 'api', name: 'Demo', enabled: true, capabilities: {} }] as typeof desk.channels
    const tk = { id: 1, number: 10004, channel_id: 1, contact: { id: 1, identities: [] }, messages: [], tags: [] } as unknown as TicketDetail
    const el = document.createElement('div')
    document.body.appendChild(el)
    app = createApp({ render: () => h(Composer, { ticket: tk, othersTyping: () => [] }) })
    app.use(pinia).mount(el)
    const text = el.querySelector('textarea[name="text"]') as HTMLTextAreaElement
    text.value = 'Your parcel is on its way'
    text.dispatchEvent(new Event('input'))
    ;(el.querySelector('input[name="send-later"]') as HTMLInputElement).click()
    await nextTick()
    await nextTick()
    const at = el.querySelector('input[name="send-at"]') as HTMLInputElement
    expect(at.value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00$/)
    const submit = el.querySelector('button[type="submit"]') as HTMLButtonElement
    expect(submit.textContent?.trim()).toBe('Schedule')
    // a time in the past is refused
    at.value = '2020-01-01T10:00'
    at.dispatchEvent(new Event('input'))
    await nextTick()
    expect(el.textContent).toContain('Choose a time in the future.')
    expect(submit.disabled).toBe(true)
    const when = new Date(Date.now() + 2 * 86_400_000)
    when.setHours(9, 30, 0, 0)
    at.value = localInput(when.getTime())
    at.dispatchEvent(new Event('input'))
    await nextTick()
    expect(submit.disabled).toBe(false)
    submit.click()
    await vi.waitFor(() => expect(bodies.length).toBe(1))
    expect(bodies[0]).toMatchObject({ text: 'Your parcel is on its way', send_at: when.getTime() })
  })
})
