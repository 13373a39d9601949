import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import {
  applyCallUpdate, callerLabel, callOf, callQuery, causeText, clockText, dialProblem, lastContacts, latestOpenTicket, openTickets,
  needsCallBack, phoneNumbers, popsUpFor, stateText, talkSeconds, withDetail, type CallPopup,
} from '../calls'
import { holdSecondClock, second } from '../clock'
import MessageItem from '../components/MessageItem.vue'
import { setLocale } from '../i18n'
import type { Call, CallDetail, Message, Ticket } from '../types'

const ME = 7
const T0 = Date.UTC(2026, 11, 8, 9, 0, 0)
const call = (over: Partial<Call> = {}): Call => ({
  message_id: 100, ticket_id: 10, channel_id: 3, contact_id: 4, call_id: 'c-1', direction: 'in', customer: '+31612345678',
  state: 'ringing', started_at: T0, ringing: [ME], ...over,
})
const ticket = (id: number, status: Ticket['status'], updated_at: number, last_message = ''): Ticket => ({
  id, number: 10000 + id, contact_id: 4, subject: `Subject ${id}`, status, priority: 'normal', tags: [], created_at: 0, updated_at, last_message,
})

describe('who gets the caller pop-up', () => {
  it('pops up an inbound ringing call for the agents whose phones ring', () => {
    expect(popsUpFor(call(), ME)).toBe(true)
    expect(popsUpFor(call({ ringing: [1, 2] }), ME)).toBe(false)
  })

  it('pops up for every agent told about the call when the telephone system did not say whose phones ring', () => {
    expect(popsUpFor(call({ ringing: [] }), ME)).toBe(true)
    expect(popsUpFor(call({ ringing: null }), ME)).toBe(true)
  })

  it('never pops up an outbound call, a call no longer ringing, or before the agent is known', () => {
    expect(popsUpFor(call({ direction: 'out' }), ME)).toBe(false)
    expect(popsUpFor(call({ state: 'answered', agent_id: ME }), ME)).toBe(false)
    expect(popsUpFor(call({ state: 'ended' }), ME)).toBe(false)
    expect(popsUpFor(call(), 0)).toBe(false)
  })
})

describe('what still needs a call back', () => {
  it('offers a call back for a missed call until an agent called from the ticket, and for an open request', () => {
    expect(needsCallBack(call({ state: 'ended', missed: true }))).toBe(true)
    expect(needsCallBack(call({ state: 'ended', missed: true, called_back_at: T0 + 60_000 }))).toBe(false)
    expect(needsCallBack(call({ state: 'requested' }))).toBe(true)
    expect(needsCallBack(call({ state: 'ended', answered_at: T0 }))).toBe(false)
  })
})

describe('durations and causes', () => {
  afterEach(() => setLocale('en'))

  it('writes a duration as m:ss, and h:mm:ss from an hour', () => {
    expect(clockText(0)).toBe('0:00')
    expect(clockText(5.9)).toBe('0:05')
    expect(clockText(65)).toBe('1:05')
    expect(clockText(3599)).toBe('59:59')
    expect(clockText(3725)).toBe('1:02:05')
    expect(clockText(-3)).toBe('0:00')
  })

  it('counts talk time from the answer to the end, or to now while the call is on', () => {
    expect(talkSeconds(call({ state: 'ringing' }), T0 + 60_000)).toBe(0)
    expect(talkSeconds(call({ state: 'answered', answered_at: T0 + 10_000 }), T0 + 95_000)).toBe(85)
    expect(talkSeconds(call({ state: 'ended', answered_at: T0 + 10_000, ended_at: T0 + 202_000 }), T0 + 999_000)).toBe(192)
  })

  it('says what state a call is in, with the duration or why nobody answered', async () => {
    expect(stateText(call(), T0)).toBe('Ringing')
    expect(stateText(call({ state: 'answered', answered_at: T0 }), T0 + 61_000)).toBe('In progress, 1:01')
    expect(stateText(call({ state: 'ended', answered_at: T0, ended_at: T0 + 125_000, cause: 'normal' }), T0)).toBe('Duration 2:05')
    expect(stateText(call({ state: 'ended', cause: 'cancelled', missed: true }), T0)).toBe('Not answered: the caller hung up before an answer')
    expect(stateText(call({ state: 'ended' }), T0)).toBe('Not answered')
    expect(stateText(call({ state: 'requested' }), T0)).toBe('Callback requested')
    await setLocale('nl')
    expect(stateText(call({ state: 'ended', cause: 'no_answer' }), T0)).toBe('Niet beantwoord: niemand nam op')
    await setLocale('de')
    expect(stateText(call({ state: 'ended', cause: 'busy' }), T0)).toBe('Nicht angenommen: die Leitung war besetzt')
    expect(stateText(call({ state: 'ended', answered_at: T0, ended_at: T0 + 9_000 }), T0)).toBe('Dauer 0:09')
  })

  it('shows an unknown cause as the server wrote it', () => {
    expect(causeText('line_on_fire')).toBe('line_on_fire')
    expect(causeText(undefined)).toBe('')
  })

  it('names the caller by contact name, else number, else as anonymous', () => {
    expect(callerLabel(call(), 'Sara Visser')).toBe('Sara Visser')
    expect(callerLabel(call(), ' ')).toBe('+31612345678')
    expect(callerLabel(call({ customer: undefined }))).toBe('Anonymous caller')
  })
})

describe('the caller pop-up over a call’s events', () => {
  const detail = (c: Call, tickets: Ticket[] = []): CallDetail => ({
    call: c, contact: { id: 4, number: 'C-1042', name: 'Sara Visser', language: 'nl', attributes: {}, verified: true, identities: [], created_at: 0, updated_at: 0 }, tickets,
  })

  it('pops up ringing, fetches the caller once, becomes the on-a-call bar when the agent answers, and goes when the call ends', () => {
    let r = applyCallUpdate([], call(), ME)
    expect(r.popups.map((p) => p.phase)).toEqual(['ringing'])
    expect(r.fetch).toBe(100)
    r = applyCallUpdate(r.popups, call(), ME)
    expect(r.fetch).toBeUndefined()
    let popups = withDetail(r.popups, detail(call()))
    expect(popups[0].detail?.contact?.name).toBe('Sara Visser')
    r = applyCallUpdate(popups, call({ state: 'answered', agent_id: ME, answered_at: T0 + 5_000 }), ME)
    expect(r.popups).toHaveLength(1)
    expect(r.popups[0].phase).toBe('onCall')
    expect(r.popups[0].detail?.contact?.name).toBe('Sara Visser')
    popups = r.popups
    r = applyCallUpdate(popups, call({ state: 'ringing' }), ME)
    expect(r.popups).toBe(popups)
    r = applyCallUpdate(popups, call({ state: 'ended', agent_id: ME, answered_at: T0 + 5_000, ended_at: T0 + 65_000, cause: 'normal' }), ME)
    expect(r.popups).toEqual([])
    expect(r.missed).toBeUndefined()
  })

  it('closes when another agent answers, without a missed-call notice', () => {
    const { popups } = applyCallUpdate([], call({ ringing: [ME, 8] }), ME)
    const r = applyCallUpdate(popups, call({ ringing: [ME, 8], state: 'answered', agent_id: 8, answered_at: T0 }), ME)
    expect(r.popups).toEqual([])
    expect(r.missed).toBeUndefined()
    expect(applyCallUpdate(r.popups, call({ state: 'ended', agent_id: 8, answered_at: T0, ended_at: T0 + 1 }), ME).popups).toEqual([])
  })

  it('tells the agent about a call that ended unanswered', () => {
    const { popups } = applyCallUpdate([], call(), ME)
    const r = applyCallUpdate(popups, call({ state: 'ended', cause: 'cancelled', missed: true }), ME)
    expect(r.popups).toEqual([])
    expect(r.missed?.call.cause).toBe('cancelled')
  })

  it('stacks calls ringing at once, oldest first, and ends each on its own', () => {
    let p: CallPopup[] = applyCallUpdate([], call(), ME).popups
    p = applyCallUpdate(p, call({ message_id: 101, customer: undefined, ringing: [] }), ME).popups
    expect(p.map((x) => x.call.message_id)).toEqual([100, 101])
    p = applyCallUpdate(p, call({ state: 'answered', agent_id: ME, answered_at: T0 }), ME).popups
    expect(p.map((x) => [x.call.message_id, x.phase])).toEqual([[100, 'onCall'], [101, 'ringing']])
    const r = applyCallUpdate(p, call({ message_id: 101, customer: undefined, state: 'ended', missed: true }), ME)
    expect(r.popups.map((x) => x.call.message_id)).toEqual([100])
    expect(callerLabel(r.missed!.call)).toBe('Anonymous caller')
  })

  it('ignores calls that do not ring for the agent, and shows the bar for a call the agent answered unseen', () => {
    expect(applyCallUpdate([], call({ ringing: [1] }), ME).popups).toEqual([])
    expect(applyCallUpdate([], call({ ringing: [1], state: 'ended', missed: true }), ME).missed).toBeUndefined()
    const r = applyCallUpdate([], call({ state: 'answered', agent_id: ME, answered_at: T0 }), ME)
    expect(r.popups.map((x) => x.phase)).toEqual(['onCall'])
    expect(r.fetch).toBe(100)
  })

  it('keeps the newer state when the fetched caller arrives after an event', () => {
    const answered = call({ state: 'answered', agent_id: ME, answered_at: T0 })
    const p = applyCallUpdate(applyCallUpdate([], call(), ME).popups, answered, ME).popups
    expect(withDetail(p, detail(call()))[0].call.state).toBe('answered')
  })

  it('runs the bar’s clock second by second while held', () => {
    vi.useFakeTimers({ now: T0 + 30_000 })
    try {
      const release = holdSecondClock()
      const c = call({ state: 'answered', agent_id: ME, answered_at: T0 })
      expect(clockText(talkSeconds(c, second.value))).toBe('0:30')
      vi.advanceTimersByTime(31_000)
      expect(clockText(talkSeconds(c, second.value))).toBe('1:01')
      release()
      release()
      vi.advanceTimersByTime(5_000)
      expect(clockText(talkSeconds(c, second.value))).toBe('1:01')
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('the caller’s tickets', () => {
  const tickets = [ticket(1, 'solved', 5), ticket(2, 'open', 30, 'Where is my parcel?'), ticket(3, 'pending', 20), ticket(4, 'closed', 40)]

  it('lists the open tickets and the last contacts, newest first', () => {
    expect(openTickets({ tickets }).map((x) => x.id)).toEqual([2, 3])
    expect(lastContacts({ tickets }).map((x) => x.id)).toEqual([4, 2, 3])
    expect(openTickets({ tickets: null })).toEqual([])
  })

  it('logs a call from the customer page on the newest open ticket', () => {
    expect(latestOpenTicket(tickets)?.id).toBe(2)
    expect(latestOpenTicket([ticket(1, 'solved', 5)])).toBeUndefined()
  })

  it('finds the phone identities of a contact', () => {
    expect(phoneNumbers({ identities: [{ kind: 'email', value: 'a@b.nl' }, { kind: 'phone', value: '+31612345678' }] })).toEqual(['+31612345678'])
    expect(phoneNumbers(null)).toEqual([])
  })
})

describe('click-to-call refusals', () => {
  it('sends an agent without a phone to their profile', () => {
    const p = dialProblem('no_phone', 'set your phone', false)
    expect(p.text).toMatch(/^Set your phone extension in your profile/)
    expect(p.fix).toEqual({ to: { query: { profile: 'phone' } }, label: 'Open your profile' })
  })

  it('sends an admin to the channels when no telephone channel is set up, and an agent to an admin', () => {
    expect(dialProblem('no_phone_channel', '', true).fix?.to).toBe('/admin/channels')
    const agent = dialProblem('no_phone_channel', '', false)
    expect(agent.fix).toBeUndefined()
    expect(agent.text).toBe('No telephone channel is set up. Ask an administrator to set one up.')
  })

  it('explains a refused or impossible number, and passes other errors through', () => {
    expect(dialProblem('dial_failed', 'PBX answered 503', false).text).toContain('(PBX answered 503)')
    expect(dialProblem('invalid_phone', 'x', false).text).toMatch(/not a number Loket can call/)
    expect(dialProblem('http_500', 'boom', false).text).toContain('boom')
  })
})

describe('the call log’s query', () => {
  it('filters missed calls and callback requests and pages by the oldest call shown', () => {
    expect(callQuery('all')).toBe('?limit=50')
    expect(callQuery('missed', 900, 20)).toBe('?missed=true&before=900&limit=20')
    expect(callQuery('requested')).toBe('?state=requested&limit=50')
  })
})

describe('a call entry on the timeline', () => {
  beforeEach(() => setActivePinia(createPinia()))

  const entry = (c: Partial<Call>): Message => ({
    id: 100, ticket_id: 10, kind: 'call', direction: c.direction ?? 'in', author_type: 'system', text: 'Call summary', attachments: [],
    meta: call(c) as unknown as Record<string, unknown>, created_at: T0, updated_at: T0,
  })
  function mount(m: Message) {
    const el = document.createElement('div')
    document.body.appendChild(el)
    const app = createApp({ render: () => h(MessageItem, { message: m, contactName: 'Sara Visser', agentName: (id?: number) => (id === ME ? 'Anna' : '') }) })
    app.use(createPinia())
    app.component('RouterLink', { render: () => null })
    app.mount(el)
    return { el, unmount: () => app.unmount() }
  }

  it('is read from a call message’s meta only', () => {
    expect(callOf(entry({}))?.state).toBe('ringing')
    expect(callOf({ kind: 'call', meta: {} })).toBeNull()
    expect(callOf({ kind: 'note', meta: call() as unknown as Record<string, unknown> })).toBeNull()
  })

  it('shows a missed call with its badge, the cause and a Call back button', () => {
    const { el, unmount } = mount(entry({ state: 'ended', cause: 'no_answer', missed: true }))
    expect(el.querySelector('[data-testid="missed-badge"]')?.textContent).toBe('Missed call')
    expect(el.querySelector('[data-testid="call-state"]')?.textContent).toContain('Not answered: nobody picked up')
    expect(el.querySelector('[data-testid="call-button"]')?.getAttribute('aria-label')).toBe('Call +31612345678')
    expect(el.textContent).toContain('Call back')
    unmount()
  })

  it('shows an answered call’s duration and who took it, with the recording to play or download', () => {
    const { el, unmount } = mount(entry({
      state: 'ended', cause: 'normal', agent_id: ME, answered_at: T0, ended_at: T0 + 83_000, recording_url: '/rec/1.mp3',
    }))
    expect(el.querySelector('[data-testid="call-state"]')?.textContent).toContain('Duration 1:23 · Answered by Anna')
    const audio = el.querySelector('audio')!
    expect(audio.getAttribute('preload')).toBe('none')
    expect(audio.hasAttribute('controls')).toBe(true)
    expect(el.querySelector('a[download]')?.getAttribute('href')).toBe('/rec/1.mp3')
    expect(el.querySelector('[data-testid="call-button"]')).toBeNull()
    unmount()
  })

  it('shows a callback request with the preferred time and the note', () => {
    const { el, unmount } = mount(entry({ state: 'requested', callback_at: Date.UTC(2026, 11, 9, 14, 30), note: 'About my invoice' }))
    expect(el.textContent).toContain('Callback requested for 9 Dec 2026')
    expect(el.textContent).toContain('About my invoice')
    expect(el.textContent).toContain('Call back')
    unmount()
  })

  it('runs the clock of a call in progress and names who placed an outbound call', async () => {
    vi.useFakeTimers({ now: T0 + 10_000 })
    try {
      const { el, unmount } = mount(entry({ direction: 'out', state: 'answered', agent_id: ME, answered_at: T0 }))
      expect(el.querySelector('[data-testid="call-state"]')?.textContent).toContain('In progress, 0:10 · Placed by Anna')
      vi.advanceTimersByTime(3_000)
      await nextTick()
      expect(el.querySelector('[data-testid="call-state"]')?.textContent).toContain('In progress, 0:13')
      unmount()
    } finally {
      vi.useRealTimers()
    }
  })
})
