import { describe, expect, it } from 'vitest'
import { createApp, h } from 'vue'
import MessageItem from '../components/MessageItem.vue'
import type { Message } from '../types'

function mount(message: Message, onRetry = (_: number) => {}) {
  const el = document.createElement('div')
  document.body.appendChild(el)
  const app = createApp({ render: () => h(MessageItem, { message, contactName: 'Jan', channelName: () => 'Demo (API)', agentName: () => 'Ann', onRetry }) })
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
})
