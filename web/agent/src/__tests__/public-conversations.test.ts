import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick, type Component } from 'vue'
import PublicReplySettings from '../components/admin/PublicReplySettings.vue'
import Composer from '../components/Composer.vue'
import MessageItem from '../components/MessageItem.vue'
import TakePrivateDialog from '../components/TakePrivateDialog.vue'
import { useDesk } from '../stores/desk'
import { toasts } from '../stores/toasts'
import type { Agent, Channel, Message, PublicCheck, Role, TicketDetail } from '../types'

const fb = {
  id: 4, kind: 'facebook', name: 'Facebook page', settings: {}, enabled: true, secrets_set: [], created_at: 0, updated_at: 0,
  capabilities: { public: true, private_replies: true, moderation: ['hide', 'unhide', 'delete'], identities: ['facebook'] },
  approval: '', approvers: [7], tone_guide_url: 'https://intranet.example.com/tone',
} as Channel
const mail = { ...fb, id: 5, kind: 'email', name: 'Mail', capabilities: { identities: ['email'] }, approval: undefined, approvers: undefined } as Channel
const comment: Message = {
  id: 11, ticket_id: 1, channel_id: 4, kind: 'message', direction: 'in', author_type: 'contact', text: 'Where is my parcel?!',
  address: { kind: 'facebook', value: '555' }, attachments: [], created_at: 0, updated_at: 0,
  public: {
    url: 'https://www.facebook.com/1/posts/2?comment_id=3', author_url: 'https://www.facebook.com/555', post_id: '1_2',
    post_text: 'Our autumn sale starts today', post_url: 'https://www.facebook.com/1/posts/2',
  },
}
const ticket = (over: Partial<TicketDetail> = {}) => ({
  id: 1, number: 42, channel_id: 4, public: true, messages: [comment], status: 'open', tags: [],
  contact: { id: 3, name: 'Sara Visser', language: 'nl', identities: [{ kind: 'facebook', value: '555' }, { kind: 'email', value: 'sara@example.nl' }], attributes: {} },
  ...over,
}) as unknown as TicketDetail
const clean = (over: Partial<PublicCheck> = {}): PublicCheck => ({
  public: true, approval: true, findings: [], length: 10, max_length: 8000, tone_guide_url: 'https://intranet.example.com/tone', ...over,
})
const reply = (over: Partial<Message> = {}): Message => ({
  id: 99, ticket_id: 1, channel_id: 4, kind: 'message', direction: 'out', author_type: 'agent', author_id: 7, text: 'Hello',
  attachments: [], created_at: 0, updated_at: 0, delivery_status: 'awaiting_approval', ...over,
})
const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json' } })

let el: HTMLElement
let app: ReturnType<typeof createApp> | null = null
let calls: { url: string; method: string; body: any }[]
let answer: (url: string, body: any) => Response
beforeEach(() => {
  calls = []
  answer = () => json({})
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    const body = init.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ url, method: init.method ?? 'GET', body })
    return answer(url, body)
  }))
  el = document.createElement('div')
  document.body.appendChild(el)
  toasts.splice(0)
})
afterEach(() => {
  app?.unmount()
  app = null
  el.remove()
  vi.useRealTimers()
  vi.unstubAllGlobals()
})
async function mount(c: Component, props: Record<string, unknown>, agents: Agent[] = []) {
  const pinia = createPinia()
  app = createApp({ render: () => h(c, props) })
  app.use(pinia)
  const desk = useDesk(pinia)
  desk.channels = [fb, mail]
  desk.agents = agents
  app.mount(el)
  await nextTick()
}
const q = <T extends Element = HTMLInputElement>(s: string) => el.querySelector(s) as T | null
const button = (label: string) => [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === label)
const type = async (s: string, v: string) => {
  const i = q<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(s)!
  i.value = v
  i.dispatchEvent(new Event(i.tagName === 'SELECT' ? 'change' : 'input'))
  await nextTick()
}
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0))
  await nextTick()
}

describe('a public post in the timeline', () => {
  it('shows where it is, the post it is under and its author, with safe links', async () => {
    await mount(MessageItem, { message: comment, moderation: fb.capabilities!.moderation })
    const card = q('[data-testid="public-post"]')!
    const see = q<HTMLAnchorElement>('[data-testid="public-url"]')!
    expect(see.textContent).toContain('See it on the site')
    expect(see.href).toBe('https://www.facebook.com/1/posts/2?comment_id=3')
    expect(see.target).toBe('_blank')
    expect(see.rel).toContain('noopener')
    expect(card.textContent).toContain('Our autumn sale starts today')
    expect([...card.querySelectorAll('a')].map((a) => a.textContent?.trim())).toEqual(['Open the post', 'See it on the site ↗', "Author's profile"])
    expect(card.querySelector('.stars')).toBeNull()
  })

  it('shows a review as stars, and no link that is not http(s)', async () => {
    await mount(MessageItem, { message: { ...comment, public: { rating: 2, url: 'javascript:alert(1)' } } })
    expect(q('.public-post .stars')!.textContent).toBe('★★☆☆☆')
    expect(q('.public-post .sr-only')!.textContent).toBe('2 of 5 stars')
    expect(q('[data-testid="public-url"]')).toBeNull()
  })

  it('hides a post on the site and shows the hidden state', async () => {
    answer = () => json({ ...comment, public: { ...comment.public, hidden: true } })
    const changed: Message[] = []
    await mount(MessageItem, { message: comment, moderation: ['hide', 'unhide', 'delete'], onReviewed: (m: Message) => changed.push(m) })
    expect(button('Show on the site again')).toBeUndefined()
    button('Hide on the site')!.click()
    await flush()
    expect(calls).toEqual([{ url: '/api/v1/messages/11/moderate', method: 'POST', body: { action: 'hide' } }])
    expect(changed[0].public?.hidden).toBe(true)
    app!.unmount()
    await mount(MessageItem, { message: changed[0], moderation: ['hide', 'unhide', 'delete'] })
    expect(q('[data-state="hidden"]')!.textContent).toBe('Hidden on the site')
    expect(button('Show on the site again')).toBeDefined()
  })

  it('deletes a post only once the agent confirms', async () => {
    answer = () => json({ ...comment, public: { ...comment.public, deleted: true } })
    await mount(MessageItem, { message: comment, moderation: ['delete'] })
    button('Delete from the site')!.click()
    await nextTick()
    expect(calls).toEqual([])
    expect(q('[role="alertdialog"]')!.textContent).toContain('cannot be undone')
    button('Delete it')!.click()
    await flush()
    expect(calls).toEqual([{ url: '/api/v1/messages/11/moderate', method: 'POST', body: { action: 'delete' } }])
  })

  it('offers no moderation where the channel has none, and none on a deleted post', async () => {
    await mount(MessageItem, { message: comment })
    expect(q('.moderation')).toBeNull()
    app!.unmount()
    await mount(MessageItem, { message: { ...comment, public: { deleted: true } }, moderation: ['hide', 'delete'] })
    expect(q('.moderation')).toBeNull()
    expect(q('[data-state="deleted"]')!.textContent).toBe('Deleted from the site')
  })
})

describe('approving a public reply', () => {
  it.each<[string, Role, boolean, number | undefined, boolean]>([
    ['a named approver who is a plain agent is offered to approve it', 'agent', true, 8, true],
    ['a plain agent not named is not', 'agent', false, 8, false],
    ['its writer is not, though named', 'agent', true, 7, false],
    ['a supervisor who wrote it is not', 'supervisor', true, 7, false],
    ['a supervisor is, where the channel names no one', 'supervisor', true, 2, true],
    ['a supervisor the channel does not name is not', 'supervisor', false, 2, false],
  ])('%s', async (_, role, approver, meId, want) => {
    await mount(MessageItem, { message: reply(), role, approver, meId })
    expect(q('.ds')!.textContent).toContain('Waiting for approval')
    expect(button('Approve') !== undefined).toBe(want)
  })
})

describe('the composer on a public ticket', () => {
  const findings = clean({ findings: [{ kind: 'email', text: 'sara@example.nl' }, { kind: 'order_number', text: '1042' }] })

  it('says the reply is public and needs approval, and hides the manual approval box', async () => {
    await mount(Composer, { ticket: ticket(), othersTyping: () => [] })
    expect(q('[data-testid="public-reply"]')!.textContent).toContain('Public reply — needs approval')
    expect(q('input[name="approval"]')).toBeNull()
    expect(q<HTMLAnchorElement>('[data-check="tone"] a')!.href).toBe('https://intranet.example.com/tone')
  })

  it('is no public reply on another channel or on a private ticket', async () => {
    await mount(Composer, { ticket: ticket({ public: false }), othersTyping: () => [] })
    expect(q('[data-testid="public-reply"]')).toBeNull()
    app!.unmount()
    await mount(Composer, { ticket: ticket(), othersTyping: () => [] })
    await type('#composer-channel', '5')
    expect(q('[data-testid="public-reply"]')).toBeNull()
  })

  it('checks the reply once typing pauses and lists the personal data by kind', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    answer = (url) => (url.endsWith('/public-check') ? json(findings) : json({}))
    await mount(Composer, { ticket: ticket(), othersTyping: () => [] })
    await type('#composer-text', 'Mail sara@example.nl about 1042')
    expect(calls).toEqual([])
    await vi.advanceTimersByTimeAsync(400)
    await nextTick()
    expect(calls).toEqual([{ url: '/api/v1/tickets/1/public-check', method: 'POST', body: { text: 'Mail sara@example.nl about 1042', channel_id: 4 } }])
    const kinds = [...el.querySelectorAll('.findings li')].map((li) => li.textContent)
    expect(kinds).toEqual(['E-mail address: sara@example.nl', 'Order number: 1042'])
    expect(q('[data-check="length"]')!.textContent?.trim()).toBe('10 / 8000 characters')
  })

  it('asks to confirm personal data before sending, then sends it as checked', async () => {
    answer = (url) => (url.endsWith('/public-check') ? json(findings) : json(reply()))
    await mount(Composer, { ticket: ticket(), othersTyping: () => [] })
    await type('#composer-text', 'Mail sara@example.nl about 1042')
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await flush()
    expect(calls.filter((c) => c.url.endsWith('/messages'))).toEqual([])
    expect(q('.pii-confirm')!.textContent).toContain('E-mail address: sara@example.nl; Order number: 1042')
    button('I checked it, send')!.click()
    await flush()
    const sent = calls.filter((c) => c.url.endsWith('/messages'))
    expect(sent).toHaveLength(1)
    expect(sent[0].body).toMatchObject({ text: 'Mail sara@example.nl about 1042', channel_id: 4, checked: true })
    expect(sent[0].body.approval).toBeUndefined()
    expect(toasts.map((x) => x.text)).toContain('The public reply waits for approval.')
    expect(q('.pii-confirm')).toBeNull()
  })

  it('sends a clean reply at once, without the checked mark', async () => {
    answer = (url) => (url.endsWith('/public-check') ? json(clean()) : json(reply()))
    await mount(Composer, { ticket: ticket(), othersTyping: () => [] })
    await type('#composer-text', 'Sorry, we are on it!')
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await flush()
    const sent = calls.filter((c) => c.url.endsWith('/messages'))
    expect(sent).toHaveLength(1)
    expect(sent[0].body.checked).toBeUndefined()
  })

  it('asks to confirm when the server refuses personal data the check missed', async () => {
    answer = (url, body) =>
      url.endsWith('/public-check')
        ? json(clean())
        : body.checked
          ? json(reply())
          : json({ error: { code: 'personal_data', message: 'The reply contains a phone number.' } }, 422)
    await mount(Composer, { ticket: ticket(), othersTyping: () => [] })
    await type('#composer-text', 'Call 0612345678')
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await flush()
    expect(q('.pii-confirm')!.textContent).toContain('The reply contains a phone number.')
    button('I checked it, send')!.click()
    await flush()
    expect(calls.filter((c) => c.url.endsWith('/messages')).map((c) => c.body.checked)).toEqual([undefined, true])
  })

  it('says a public reply goes out at once where the channel turned approval off', async () => {
    const pinia = createPinia()
    app = createApp({ render: () => h(Composer, { ticket: ticket(), othersTyping: () => [] }) })
    app.use(pinia)
    useDesk(pinia).channels = [{ ...fb, approval: 'off' }]
    app.mount(el)
    await nextTick()
    expect(q('[data-testid="public-reply"]')!.textContent).toContain('Public reply — anyone can read it')
    expect(q('input[name="approval"]')).not.toBeNull()
  })
})

describe('taking a conversation private', () => {
  it('prefills the public reply in the customer language and opens the new private ticket', async () => {
    answer = () => json({ public_message: reply({ text: 'x' }), ticket: { id: 77, number: 43 }, identify_url: '' })
    const done: any[] = []
    await mount(TakePrivateDialog, { ticket: ticket(), onDone: (r: unknown) => done.push(r) })
    await vi.waitFor(() => expect(q<HTMLTextAreaElement>('textarea[name="public-text"]')!.value).toContain('Bedankt voor je bericht'))
    button('Reply and go private')!.click()
    await flush()
    expect(calls).toEqual([])
    expect(q('[role="alert"]')!.textContent).toBe('Write the private message.')
    await type('textarea[name="public-text"]', 'We sturen je een DM.')
    await type('textarea[name="private-text"]', 'Hi Sara, what is your order number?')
    button('Reply and go private')!.click()
    await flush()
    expect(calls).toEqual([{
      url: '/api/v1/tickets/1/take-private', method: 'POST',
      body: { public_text: 'We sturen je een DM.', text: 'Hi Sara, what is your order number?' },
    }])
    expect(done[0].ticket.id).toBe(77)
  })

  it('shows the identify link where the channel cannot write privately', async () => {
    answer = () => json({ public_message: reply(), ticket: null, identify_url: 'https://loket.example.com/identify/abc' })
    await mount(TakePrivateDialog, { ticket: ticket({ contact: { ...ticket().contact, language: 'fr' } }) })
    await vi.waitFor(() => expect(q<HTMLTextAreaElement>('textarea[name="public-text"]')!.value).toContain('Thank you for your message'))
    await type('textarea[name="private-text"]', 'Please identify yourself.')
    button('Reply and go private')!.click()
    await flush()
    const link = q<HTMLAnchorElement>('[data-testid="identify-url"] a')!
    expect(link.href).toBe('https://loket.example.com/identify/abc')
    expect(link.rel).toContain('noopener')
  })
})

describe('public-reply settings of a channel', () => {
  const agents = [
    { id: 7, name: 'Jan', role: 'agent' },
    { id: 8, name: 'Piet', role: 'agent' },
    { id: 9, name: 'Old', role: 'agent', disabled: true },
  ] as Agent[]

  it('shows the stored settings and saves approval, approvers and the tone guide', async () => {
    answer = () => json(fb)
    await mount(PublicReplySettings, { channel: fb }, agents)
    expect(q('input[name="public-approval"]')!.checked).toBe(true)
    const boxes = [...el.querySelectorAll<HTMLInputElement>('input[name="public-approvers"]')]
    expect(boxes.map((b) => [b.value, b.checked])).toEqual([['7', true], ['8', false]])
    boxes[1].checked = true
    boxes[1].dispatchEvent(new Event('change'))
    await type('input[name="tone-guide-url"]', ' https://intranet.example.com/tone-v2 ')
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await flush()
    expect(calls).toEqual([{
      url: '/api/v1/channels/4', method: 'PATCH',
      body: { approval: '', approvers: [7, 8], tone_guide_url: 'https://intranet.example.com/tone-v2' },
    }])
  })

  it('turns approval off', async () => {
    answer = () => json({ ...fb, approval: 'off' })
    await mount(PublicReplySettings, { channel: fb }, agents)
    const box = q('input[name="public-approval"]')!
    box.checked = false
    box.dispatchEvent(new Event('change'))
    await nextTick()
    expect(q('fieldset.approvers')).toBeNull()
    el.querySelector('form')!.dispatchEvent(new Event('submit'))
    await flush()
    expect(calls[0].body.approval).toBe('off')
  })
})
