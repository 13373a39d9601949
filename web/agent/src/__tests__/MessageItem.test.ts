import { describe, expect, it } from 'vitest'
import { createApp, h } from 'vue'
import MessageItem from '../components/MessageItem.vue'
import type { Message } from '../types'

function mount(message: Message, onRetry = (_: number) => {}, extra: Record<string, unknown> = {}) {
  const el = document.createElement('div')
  document.body.appendChild(el)
  const app = createApp({
    render: () => h(MessageItem, { message, contactName: 'Jan', channelName: () => 'Demo (API)', agentName: () => 'Ann', onRetry, ...extra }),
  })
  app.mount(el)
  return { el, unmount: () => app.unmount() }
}
const base: Message = { id: 5, ticket_id: 1, kind: 'message', author_type: 'agent', text: 'hello', attachments: [], created_at: 0, updated_at: 0 }

describe('MessageItem', () => {
  it('shows a failed outbound message with its error and a Retry button', async () => {
    let retried = 0
    const { el } = mount(
      { ...base, direction: 'out', channel_id: 1, address: { kind: 'phone', value: '+31612345678' }, delivery_status: 'failed', delivery_error: 'no webhook_url' },
      (id) => (retried = id),
    )
    expect(el.querySelector('.msg')!.classList.contains('out')).toBe(true)
    expect(el.textContent).toContain('To +31612345678')
    expect(el.textContent).toContain('via Demo (API)')
    expect(el.querySelector('.ds')!.getAttribute('data-status')).toBe('failed')
    expect(el.textContent).toContain('no webhook_url')
    const btn = el.querySelector('button')!
    expect(btn.textContent).toBe('Retry')
    btn.click()
    expect(retried).toBe(5)
  })

  it('styles notes differently and has no delivery state', () => {
    const { el } = mount({ ...base, kind: 'note' })
    expect(el.querySelector('.msg')!.classList.contains('note')).toBe(true)
    expect(el.textContent).toContain('Internal note')
    expect(el.querySelector('.ds')).toBeNull()
  })

  it('renders sanitised HTML and attachment links', () => {
    const { el } = mount({
      ...base, direction: 'in', author_type: 'contact', html: '<p>Hi <b>there</b></p>',
      attachments: [{ id: 9, message_id: 5, filename: 'invoice.pdf', content_type: 'application/pdf', size: 2048 }],
    })
    expect(el.querySelector('.body.html b')!.textContent).toBe('there')
    const a = el.querySelector('.attachments a') as HTMLAnchorElement
    expect(a.getAttribute('href')).toBe('/api/v1/attachments/9')
    expect(a.textContent).toContain('invoice.pdf')
    expect(el.textContent).toContain('Jan')
  })

  it('links the original only when one is kept', () => {
    const { el } = mount({ ...base, direction: 'in', author_type: 'contact', text: 'Hi', address: { kind: 'email', value: 'jan@example.nl' } })
    expect(el.querySelector('a[href$="/raw"]')).toBeNull()
  })

  it('shows system events as one line', () => {
    const { el } = mount({ ...base, kind: 'event', author_type: 'system', text: 'status open → solved' })
    expect(el.querySelector('.msg')!.classList.contains('event')).toBe(true)
    expect(el.textContent).toContain('status open → solved')
  })
  it('shows an e-mail with To/CC, a full-message toggle and a link to the original', async () => {
    const { el, unmount } = mount({
      ...base, id: 9, direction: 'in', author_type: 'contact', text: 'New part', address: { kind: 'email', value: 'jan@example.nl' }, has_raw: true,
      meta: { full_text: 'New part\n\n> quoted old part', cc: ['anna@example.nl'], to: ['support@shop.nl'] },
    })
    expect(el.textContent).toContain('CC: anna@example.nl')
    expect(el.textContent).toContain('To: support@shop.nl')
    expect(el.textContent).not.toContain('quoted old part')
    expect(el.querySelector('a[href="/api/v1/messages/9/raw"]')).not.toBeNull()
    ;(el.querySelector('.email-tools button') as HTMLButtonElement).click()
    await Promise.resolve()
    expect(el.textContent).toContain('quoted old part')
    unmount()
  })
  it('styles calls, letters and visits by kind', () => {
    const { el, unmount } = mount({ ...base, kind: 'call', direction: 'in', text: 'Called about order' })
    expect(el.querySelector('.msg')!.classList.contains('kind-call')).toBe(true)
    expect(el.textContent).toContain('Phone call')
    unmount()
  })
  it('names the channel with its icon only when the ticket spans several channels', () => {
    const m = { ...base, direction: 'in' as const, author_type: 'contact' as const, channel_id: 3 }
    const many = mount(m, undefined, { channelName: () => 'Shop WhatsApp', channelKind: () => 'whatsapp', manyChannels: true })
    expect(many.el.querySelector('.channel')!.textContent).toBe('🟢via Shop WhatsApp')
    many.unmount()
    const one = mount(m, undefined, { channelName: () => 'Shop WhatsApp', channelKind: () => 'whatsapp', manyChannels: false })
    expect(one.el.querySelector('.channel')).toBeNull()
    one.unmount()
  })
  it.each([
    ['queued', '🕓'],
    ['sent', '✓'],
    ['delivered', '✓✓'],
    ['read', '✓✓'],
  ] as const)('shows %s with its ticks', (status, ticks) => {
    const { el, unmount } = mount({ ...base, direction: 'out', delivery_status: status })
    expect(el.querySelector('.ds')!.classList.contains(`ds-${status}`)).toBe(true)
    expect(el.querySelector('.ds .ticks')!.textContent).toBe(ticks)
    unmount()
  })
  it('shows a failed message’s provider reason', () => {
    const { el, unmount } = mount({ ...base, direction: 'out', delivery_status: 'failed', delivery_error: '131047: Re-engagement message' })
    expect(el.querySelector('.ds-error')!.textContent).toBe('Reason: 131047: Re-engagement message')
    unmount()
  })
  it('shows reactions, edits, deletions, template sends and a chosen button', async () => {
    const { el, unmount } = mount({
      ...base, direction: 'in', author_type: 'contact', text: 'I ordered 2',
      meta: { reactions: { 'phone:+31611': '👍', 'phone:+31622': '👍', 'phone:+31633': '❤️' }, edited: { text: 'I ordered 3', at: 5 }, deleted_at: 1_000, quick_reply: 'human' },
    })
    expect([...el.querySelectorAll('.reactions li')].map((li) => li.textContent)).toEqual(['👍2', '❤️'])
    expect(el.querySelector('.edited-label')!.textContent).toBe('edited')
    expect(el.querySelector('.deleted-label')!.textContent).toContain('deleted by the customer')
    expect(el.querySelector('.body')!.textContent).toBe('I ordered 3')
    expect(el.querySelector('.body')!.classList.contains('deleted')).toBe(true)
    ;(el.querySelector('.email-tools button') as HTMLButtonElement).click()
    await Promise.resolve()
    expect(el.querySelector('.body')!.textContent).toBe('I ordered 2')
    expect(el.textContent).toContain('Chose the button “human”')
    unmount()
    const tpl = mount({ ...base, direction: 'out', text: 'Hoi Jan', meta: { template: { name: 'order_update', language: 'nl', params: ['Jan'] } } })
    expect(tpl.el.querySelector('.template-badge')!.textContent).toBe('Template: order_update')
    tpl.unmount()
  })
})
