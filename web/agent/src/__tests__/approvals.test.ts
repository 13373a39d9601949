import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import { api } from '../api'
import ApprovalActions from '../components/ApprovalActions.vue'
import MessageItem from '../components/MessageItem.vue'
import { setLocale } from '../i18n'
import { eventText } from '../timeline'
import type { Message, Role } from '../types'
import { json } from './automation-fixtures'

const waiting: Message = {
  id: 7, ticket_id: 3, kind: 'message', direction: 'out', author_type: 'agent', author_id: 4, text: 'Your refund is on its way.',
  attachments: [], created_at: 0, updated_at: 0, delivery_status: 'awaiting_approval',
}
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0))
  await nextTick()
}

describe('a reply awaiting approval', () => {
  let app: ReturnType<typeof createApp> | null = null
  let calls: { url: string; method: string; body: unknown }[] = []
  afterEach(() => {
    app?.unmount()
    app = null
    calls = []
    vi.unstubAllGlobals()
  })
  function stubFetch(answer: (url: string) => Response) {
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
      calls.push({ url, method: init.method ?? 'GET', body: init.body ? JSON.parse(String(init.body)) : undefined })
      return answer(url)
    }))
  }
  function mount(role: Role, message = waiting) {
    const el = document.createElement('div')
    document.body.appendChild(el)
    const reviewed: Message[] = []
    app = createApp({ render: () => h(MessageItem, { message, role, agentName: () => 'Ann', onReviewed: (m: Message) => reviewed.push(m) }) })
    app.mount(el)
    const button = (label: string) => [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === label)
    return { el, reviewed, button }
  }

  it('says it waits, and offers a plain agent no way to approve it', () => {
    const { el, button } = mount('agent')
    expect(el.querySelector('.ds')!.textContent).toContain('Waiting for approval')
    expect(button('Approve')).toBeUndefined()
    expect(button('Send back')).toBeUndefined()
  })

  it('shows a returned reply as sent back', () => {
    const { el } = mount('agent', { ...waiting, delivery_status: 'returned' })
    expect(el.querySelector('.ds')!.textContent).toContain('Sent back')
    expect(el.querySelector('[data-testid="approval"]')).toBeNull()
  })

  it.each(['supervisor', 'admin'] as Role[])('lets a %s approve it as written', async (role) => {
    stubFetch(() => json({ ...waiting, delivery_status: 'queued' }))
    const { button, reviewed } = mount(role)
    button('Approve')!.click()
    await flush()
    expect(calls).toEqual([{ url: '/api/v1/messages/7/approve', method: 'POST', body: {} }])
    expect(reviewed[0].delivery_status).toBe('queued')
  })

  it('edits and approves with the corrected text, prefilled with the reply', async () => {
    stubFetch(() => json({ ...waiting, text: 'Your refund of €20 is on its way.', delivery_status: 'queued' }))
    const { el, button, reviewed } = mount('supervisor')
    button('Edit and approve')!.click()
    await nextTick()
    const area = el.querySelector<HTMLTextAreaElement>('textarea[name="approval-text"]')!
    expect(area.value).toBe('Your refund is on its way.')
    area.value = 'Your refund of €20 is on its way.'
    area.dispatchEvent(new Event('input'))
    await nextTick()
    button('Approve this text')!.click()
    await flush()
    expect(calls).toEqual([{ url: '/api/v1/messages/7/approve', method: 'POST', body: { text: 'Your refund of €20 is on its way.' } }])
    expect(reviewed).toHaveLength(1)
  })

  it('sends it back only with a comment', async () => {
    stubFetch(() => json({ ...waiting, delivery_status: 'returned' }))
    const { el, button, reviewed } = mount('admin')
    button('Send back')!.click()
    await nextTick()
    button('Send back with comment')!.click()
    await flush()
    expect(calls).toEqual([])
    expect(el.querySelector('[role="alert"]')!.textContent).toBe('Say what to change before sending the reply back.')
    const area = el.querySelector<HTMLTextAreaElement>('textarea[name="approval-comment"]')!
    area.value = 'Mention the order number.'
    area.dispatchEvent(new Event('input'))
    await nextTick()
    button('Send back with comment')!.click()
    await flush()
    expect(calls).toEqual([{ url: '/api/v1/messages/7/return', method: 'POST', body: { comment: 'Mention the order number.' } }])
    expect(reviewed[0].delivery_status).toBe('returned')
  })

  it.each([
    ['own_reply', 'You wrote this reply; someone else has to approve it.'],
    ['not_awaiting_approval', 'This reply is no longer waiting for approval; someone else reviewed it.'],
  ])('explains a refusal (%s)', async (code, text) => {
    stubFetch(() => json({ error: { code, message: 'x' } }, 422))
    const { el, button, reviewed } = mount('supervisor')
    button('Approve')!.click()
    await flush()
    expect(el.querySelector('[role="alert"]')!.textContent).toBe(text)
    expect(reviewed).toEqual([])
  })

  it('ApprovalActions renders nothing to click without a reviewer role', () => {
    const el = document.createElement('div')
    app = createApp({ render: () => h(ApprovalActions, { message: waiting }) })
    app.mount(el)
    expect(el.querySelectorAll('button')).toHaveLength(0)
  })
})

describe('asking for approval', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('posts the reply with approval, but never a note', async () => {
    const bodies: unknown[] = []
    vi.stubGlobal('fetch', vi.fn(async (_: string, init: RequestInit = {}) => {
      bodies.push(JSON.parse(String(init.body)))
      return json(waiting)
    }))
    await api.postMessage(3, 'hi', { approval: true })
    await api.postMessage(3, 'note', { note: true, approval: true })
    expect(bodies).toEqual([{ text: 'hi', approval: true }, { text: 'note', note: true }])
  })

  it('lists the replies waiting, as a bare array', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json([waiting])))
    expect(await api.approvals()).toEqual([waiting])
  })
})

describe('review events on the timeline', () => {
  afterEach(() => setLocale('en'))

  it('names the reviewer, whether they edited, and the comment, in the agent language', async () => {
    expect(eventText({ meta: { event: 'reply.approved', reviewer: 'Sam', edited: false } })).toBe('Reply approved by Sam')
    expect(eventText({ meta: { event: 'reply.approved', reviewer: 'Sam', edited: true } })).toBe('Reply edited and approved by Sam')
    expect(eventText({ meta: { event: 'reply.returned', reviewer: 'Sam', comment: 'Too curt' } })).toBe('Reply sent back by Sam: Too curt')
    await setLocale('nl')
    expect(eventText({ meta: { event: 'reply.approved', reviewer: 'Sam', edited: true } })).toBe('Antwoord bewerkt en goedgekeurd door Sam')
    await setLocale('de')
    expect(eventText({ meta: { event: 'reply.returned', reviewer: 'Sam', comment: 'Zu knapp' } })).toBe('Antwort zurückgeschickt von Sam: Zu knapp')
  })
})
