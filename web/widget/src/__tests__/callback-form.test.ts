import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Widget } from '../ui'
import { FakeSocket } from './fake-socket'

function session(callbacks: boolean) {
  return {
    token: 'wcv_new',
    visitor: { verified: false, name: 'Jan' },
    channel: { id: 3, title: 'Shop support', color: '#0b5fff', greeting: { en: 'Hi there' }, prechat: false, callbacks },
    conversations: [],
    messages: [],
    status: { open: true },
  }
}

let calls: { url: string; body: any }[] = []
let answer: (url: string) => Response

beforeEach(() => {
  calls = []
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(2026, 11, 8, 9, 0))
  vi.stubGlobal('WebSocket', FakeSocket)
  vi.stubGlobal('fetch', async (url: string, init: { body: string }) => {
    calls.push({ url, body: JSON.parse(init.body) })
    return answer(url)
  })
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

async function mount(callbacks = true) {
  answer = () => new Response(JSON.stringify(session(callbacks)), { status: 200 })
  const host = document.createElement('div')
  document.body.append(host)
  const root = host.attachShadow({ mode: 'open' })
  const w = new Widget(root, { base: 'https://loket.test', channel: 3, lang: 'en', storage: null })
  await w.start()
  FakeSocket.last!.onopen?.()
  w.toggle(true)
  return { w, root }
}

function field<E extends Element>(root: ShadowRoot, sel: string): E {
  return root.querySelector(`form.callback ${sel}`) as E
}

describe('Call me back', () => {
  it('is offered only when the chat takes callbacks', async () => {
    const { root } = await mount(false)
    expect((root.querySelector('.actions') as HTMLElement).hidden).toBe(true)
    expect(root.querySelector('form.callback')).toBeNull()
  })

  it('asks for a number, name (prefilled) and time, and confirms in the chat', async () => {
    const { root } = await mount()
    const open = root.querySelector('.actions button') as HTMLButtonElement
    expect(open.textContent).toBe('Call me back')
    open.click()
    const form = root.querySelector('form.callback') as HTMLFormElement
    expect(form.hidden).toBe(false)
    expect((root.querySelector('form.composer') as HTMLElement).hidden).toBe(true)
    expect(field<HTMLInputElement>(root, 'input[name=name]').value).toBe('Jan')
    expect(root.activeElement).toBe(field(root, 'input[name=number]'))
    // Every field has a visible label; the times sit in a fieldset with a legend.
    for (const el of form.querySelectorAll('input:not([type=radio]), textarea')) expect(el.closest('label')).not.toBeNull()
    for (const el of form.querySelectorAll('select')) expect(form.querySelector(`label[for=${el.id}]`)).not.toBeNull()
    expect(form.querySelector('fieldset legend')!.textContent).toBe('When shall we call?')

    field<HTMLInputElement>(root, 'input[name=number]').value = '06 1234 5678'
    const later = field<HTMLInputElement>(root, 'input[value=later]')
    later.checked = true
    later.dispatchEvent(new Event('change'))
    const day = field<HTMLSelectElement>(root, 'select[name=day]')
    expect(day.options).toHaveLength(7)
    day.value = '2026-12-09'
    day.dispatchEvent(new Event('change'))
    field<HTMLSelectElement>(root, 'select[name=time]').value = '14:30'
    const at = new Date(2026, 11, 9, 14, 30).toISOString().replace('.000Z', 'Z')
    answer = () => new Response(JSON.stringify({ id: 'callback-1', number: '+31612345678', at }), { status: 201 })
    form.requestSubmit()
    await vi.waitFor(() => expect(form.isConnected).toBe(false))
    expect(calls[1].url).toBe('https://loket.test/api/v1/webchat/3/callback')
    expect(calls[1].body).toEqual({ token: 'wcv_new', number: '06 1234 5678', name: 'Jan', at, note: '' })
    expect((root.querySelector('form.composer') as HTMLElement).hidden).toBe(false)
    const note = root.querySelector('.log .note')!
    expect(note.getAttribute('role')).toBe('status')
    expect(note.textContent).toMatch(/^Thank you! We will call you on \+31612345678 on Wednesday, December 9 .*2:30/)
  })

  it('keeps the form with a clear message for a number that cannot be called', async () => {
    const { root } = await mount()
    ;(root.querySelector('.actions button') as HTMLButtonElement).click()
    const form = root.querySelector('form.callback') as HTMLFormElement
    const number = field<HTMLInputElement>(root, 'input[name=number]')
    number.value = 'call me'
    form.requestSubmit()
    expect(calls).toHaveLength(1) // checked before anything is sent
    expect(number.getAttribute('aria-invalid')).toBe('true')
    expect(form.querySelector('[role=alert]')!.textContent).toContain('Enter a phone number')

    number.value = '0612345678'
    answer = () => new Response(JSON.stringify({ error: { code: 'rate_limited', message: 'too many' } }), { status: 429 })
    form.requestSubmit()
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect(calls[1].body.at).toBe('')
    expect(form.isConnected).toBe(true)
    await vi.waitFor(() => expect(form.querySelector('[role=alert]')!.textContent).toBe('You have asked to be called back already; we will call you.'))
  })
})
