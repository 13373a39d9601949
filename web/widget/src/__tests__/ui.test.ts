import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { readableOn, Widget } from '../ui'
import { FakeSocket } from './fake-socket'

const session = {
  token: 'wcv_new',
  visitor: { verified: false },
  channel: { id: 3, title: 'Shop support', color: '#ffdd00', greeting: { en: 'Hi there' }, prechat: false },
  conversations: [{ id: 1, status: 'open', waiting: true, bot: false, rated: false, created_at: 1 }],
  messages: [],
  status: { open: true, estimated_wait_ms: 180000, staffed: true },
}

let calls: { url: string; body: any }[] = []

beforeEach(() => {
  calls = []
  vi.stubGlobal('WebSocket', FakeSocket)
  vi.stubGlobal('fetch', async (url: string, init: { body: string }) => {
    calls.push({ url, body: JSON.parse(init.body) })
    return new Response(JSON.stringify(session), { status: 200 })
  })
})
afterEach(() => vi.unstubAllGlobals())

async function mount() {
  const host = document.createElement('div')
  document.body.append(host)
  const root = host.attachShadow({ mode: 'open' })
  const store = new Map<string, string>()
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v), removeItem: (k: string) => store.delete(k) } as unknown as Storage
  const w = new Widget(root, { base: 'https://loket.test', channel: 3, lang: 'en', storage })
  await w.start()
  FakeSocket.last!.onopen?.()
  return { w, root, store }
}

describe('Widget', () => {
  it('starts a session, keeps the token and says hello with the last message id', async () => {
    const { root, store } = await mount()
    expect(calls[0].url).toBe('https://loket.test/api/v1/webchat/3/session')
    expect(store.get('loket-chat:https://loket.test:3')).toBe('wcv_new')
    expect(FakeSocket.last!.url).toBe('wss://loket.test/api/v1/webchat/3/socket')
    expect(FakeSocket.last!.sent[0]).toEqual({ type: 'hello', token: 'wcv_new', after: 0 })
    expect(root.querySelector('h2')!.textContent).toBe('Shop support')
    expect(root.querySelector('.banner')!.textContent).toBe('Expected wait: about 3 min.')
    // A light channel colour gets dark text.
    expect(readableOn('#ffdd00')).toBe('#111')
  })

  it('shows message text as text, marks the bot and offers its quick replies', async () => {
    const { root } = await mount()
    FakeSocket.last!.frame({
      type: 'message',
      message: { id: 7, conversation_id: 1, direction: 'out', author: 'bot', text: '<img src=x onerror=alert(1)>', attachments: [], status: 'sent', created_at: 5,
        quick_replies: [{ id: 'person', label: 'Talk to a person' }] },
    })
    const bubble = root.querySelector('.msg.bot .bubble')!
    expect(bubble.textContent).toBe('<img src=x onerror=alert(1)>')
    expect(bubble.querySelector('img')).toBeNull()
    expect(root.querySelector('.msg.bot .tag')!.textContent).toBe('Bot')
    expect(FakeSocket.last!.sent).toContainEqual({ type: 'delivered', ids: [7] })
    const button = root.querySelector('.quick button') as HTMLButtonElement
    expect(button.textContent).toBe('Talk to a person')
    button.click()
    await vi.waitFor(() => expect(calls.some((c) => c.url.endsWith('/messages'))).toBe(true))
    const sent = calls.find((c) => c.url.endsWith('/messages'))!.body
    expect(sent).toMatchObject({ token: 'wcv_new', text: 'Talk to a person', quick_reply: 'person' })
  })

  it('opens with focus in the composer, reads replies, and closes back to the launcher on Escape', async () => {
    const { w, root } = await mount()
    FakeSocket.last!.frame({ type: 'message', message: { id: 8, conversation_id: 1, direction: 'out', author: 'agent', author_name: 'Anna', text: 'Hello', attachments: [], status: 'sent', created_at: 5 } })
    const launcher = root.querySelector('.launcher') as HTMLButtonElement
    expect(root.querySelector('.badge')!.textContent).toBe('1')
    expect(launcher.getAttribute('aria-expanded')).toBe('false')
    w.toggle(true)
    expect(launcher.getAttribute('aria-expanded')).toBe('true')
    expect(root.activeElement?.id).toBe('lk-input')
    expect(FakeSocket.last!.sent).toContainEqual({ type: 'read', ids: [8] })
    expect(root.querySelector('[role="log"]')!.getAttribute('aria-live')).toBe('polite')
    root.querySelector('.panel')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    expect((root.querySelector('.panel') as HTMLElement).hidden).toBe(true)
    expect(root.activeElement).toBe(launcher)
  })

  it('tells the wait of the moment the conversation starts waiting, not of when it connected', async () => {
    const { root } = await mount()
    FakeSocket.last!.frame({ type: 'conversation', conversation: { id: 1, status: 'open', waiting: false, bot: true, rated: false, created_at: 1 } })
    expect((root.querySelector('.banner') as HTMLElement).hidden).toBe(true)
    FakeSocket.last!.frame({
      type: 'conversation',
      conversation: { id: 1, status: 'open', waiting: true, bot: false, rated: false, created_at: 1 },
      status: { open: true, estimated_wait_ms: 0, staffed: false },
    })
    expect(root.querySelector('.banner')!.textContent).toBe('No one is available right now. Leave a message and we will answer as soon as we can.')
  })

  it('asks for a rating once the conversation is solved and shows agent typing', async () => {
    const { root } = await mount()
    FakeSocket.last!.frame({ type: 'typing', name: 'Anna' })
    expect(root.querySelector('.typing')!.textContent).toBe('Anna is typing…')
    FakeSocket.last!.frame({ type: 'conversation', conversation: { id: 1, status: 'solved', waiting: false, bot: false, rated: false, created_at: 1 } })
    expect((root.querySelector('form.rating') as HTMLElement).hidden).toBe(false)
    const stars = root.querySelectorAll('.stars button')
    expect(stars).toHaveLength(5)
    expect(stars[3].getAttribute('aria-label')).toBe('4 of 5')
  })
})
