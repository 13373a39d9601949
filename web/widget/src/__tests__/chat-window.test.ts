import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Widget } from '../ui'
import { FakeSocket } from './fake-socket'

const session = {
  token: 'wcv_new',
  visitor: { verified: false },
  channel: { id: 3, title: 'Shop support', color: '#0b5fff', greeting: { en: 'Hi there' }, prechat: false },
  conversations: [{ id: 1, status: 'open', waiting: true, bot: false, rated: false, created_at: 1 }],
  messages: [],
  status: { open: true, staffed: false },
}

beforeEach(() => {
  vi.stubGlobal('WebSocket', FakeSocket)
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify(session), { status: 200 }))
})
afterEach(() => vi.unstubAllGlobals())

async function mount() {
  const host = document.createElement('div')
  document.body.append(host)
  const root = host.attachShadow({ mode: 'open' })
  const w = new Widget(root, { base: 'https://loket.test', channel: 3, lang: 'en', storage: null })
  await w.start()
  FakeSocket.last!.onopen?.()
  return { w, root }
}

describe('chat window', () => {
  it('says that no one is available once, not in the header too', async () => {
    const { root } = await mount()
    const text = root.querySelector('.panel')!.textContent!
    expect(text.split('No one is available').length - 1).toBe(1)
    expect(root.querySelector('#lk-sub')!.textContent).toBe('Support')
  })

  it('shows a bot answer formatted, with a working link, and never runs markup of other messages', async () => {
    const { root } = await mount()
    FakeSocket.last!.frame({
      type: 'message',
      message: {
        id: 9, conversation_id: 1, direction: 'out', author: 'bot', text: 'Return label\n\nRead more: https://help.example/a/1', attachments: [], status: 'sent', created_at: 5,
        html: '<p><strong>Return label</strong></p><p><a href="https://help.example/a/1" rel="nofollow noreferrer noopener" target="_blank">Read more</a></p>',
      },
    })
    FakeSocket.last!.frame({
      type: 'message',
      message: { id: 10, conversation_id: 1, direction: 'out', author: 'agent', text: '<b>hi</b>', html: '<b>hi</b>', attachments: [], status: 'sent', created_at: 6 },
    })
    const bot = root.querySelector('.msg.bot .bubble')!
    expect(bot.querySelector('strong')!.textContent).toBe('Return label')
    const link = bot.querySelector('a')!
    expect(link.getAttribute('href')).toBe('https://help.example/a/1')
    expect(link.textContent).toBe('Read more')
    expect(bot.textContent).not.toContain('**')
    const agent = root.querySelector('[data-id="10"] .bubble')!
    expect(agent.querySelector('b')).toBeNull()
    expect(agent.textContent).toBe('<b>hi</b>')
  })
})

describe('visitor messages', () => {
  it('say which page the visitor writes from, without its query', async () => {
    const bodies: Record<string, unknown>[] = []
    vi.stubGlobal('fetch', async (_url: string, init: { body: string }) => {
      bodies.push(JSON.parse(init.body))
      return new Response(JSON.stringify(session), { status: 200 })
    })
    history.replaceState(null, '', '/bikes/gazelle?email=jan@example.nl')
    const { w } = await mount()
    await (w as unknown as { sendText(text: string): Promise<void> }).sendText('Hello')
    expect(bodies.find((b) => b.text === 'Hello')).toMatchObject({ page: '/bikes/gazelle' })
  })
})
