import { describe, expect, it } from 'vitest'
import {
  approvesAnywhere, checklist, isPublicReply, mayApprove, moderationActions, needsApproval, PublicChecker, safeUrl, stars, type Timers,
} from '../public'
import type { Moderation, PublicCheck, PublicPost, Role } from '../types'

const check = (over: Partial<PublicCheck> = {}): PublicCheck => ({
  public: true, approval: true, findings: [], length: 12, max_length: 280, tone_guide_url: 'https://example.com/tone', ...over,
})

describe('stars', () => {
  it.each([
    [5, '★★★★★'],
    [3, '★★★☆☆'],
    [1, '★☆☆☆☆'],
    [2.6, '★★★☆☆'],
    [9, '★★★★★'],
    [0, ''],
    [undefined, ''],
    [-2, ''],
    [Number.NaN, ''],
  ])('shows a rating of %s as %j', (n, want) => {
    expect(stars(n)).toBe(want)
  })
})

describe('safeUrl', () => {
  it.each([
    ['https://www.facebook.com/123/posts/456?comment_id=7', 'https://www.facebook.com/123/posts/456?comment_id=7'],
    ['http://example.com/review/1', 'http://example.com/review/1'],
    ['javascript:alert(1)', ''],
    ['JAVASCRIPT:alert(1)', ''],
    ['data:text/html,<script>', ''],
    ['/relative', ''],
    ['', ''],
    [undefined, ''],
  ])('keeps %j as %j', (u, want) => {
    expect(safeUrl(u)).toBe(want)
  })
})

describe('isPublicReply and needsApproval', () => {
  it.each([
    [{ public: true, channel_id: 4 }, 4, true],
    [{ public: true, channel_id: 4 }, 5, false],
    [{ public: false, channel_id: 4 }, 4, false],
    [{ channel_id: 4 }, 4, false],
    [{ public: true, channel_id: undefined }, 0, false],
  ])('a reply on %j over channel %i is public: %s', (tk, ch, want) => {
    expect(isPublicReply(tk, ch)).toBe(want)
  })
  it('holds public replies for approval unless the channel turned it off', () => {
    expect(needsApproval({ approval: '' })).toBe(true)
    expect(needsApproval({})).toBe(true)
    expect(needsApproval(undefined)).toBe(true)
    expect(needsApproval({ approval: 'off' })).toBe(false)
  })
})

describe('checklist', () => {
  it('is nothing for a reply that is not public, or not checked yet', () => {
    expect(checklist(null)).toBeNull()
    expect(checklist(check({ public: false, findings: [{ kind: 'email', text: 'a@b.nl' }] }))).toBeNull()
  })

  it('is clean without findings: no confirmation, length within the maximum, the tone guide', () => {
    expect(checklist(check())).toEqual({ findings: [], length: 12, max: 280, tooLong: false, toneGuide: 'https://example.com/tone', confirm: false })
  })

  it('groups findings by kind in a fixed order, each text once, and asks for a confirmation', () => {
    const l = checklist(check({
      findings: [
        { kind: 'order_number', text: '1042' },
        { kind: 'email', text: 'sara@example.nl' },
        { kind: 'order_number', text: '1043' },
        { kind: 'email', text: 'sara@example.nl' },
        { kind: 'iban', text: 'NL91ABNA0417164300' },
      ],
    }))!
    expect(l.findings).toEqual([
      { kind: 'email', texts: ['sara@example.nl'] },
      { kind: 'iban', texts: ['NL91ABNA0417164300'] },
      { kind: 'order_number', texts: ['1042', '1043'] },
    ])
    expect(l.confirm).toBe(true)
  })

  it('keeps a kind of personal data the app does not know yet', () => {
    const l = checklist(check({ findings: [{ kind: 'passport' as never, text: 'X1234' }, { kind: 'phone', text: '+31 6 1234 5678' }] }))!
    expect(l.findings.map((f) => f.kind)).toEqual(['phone', 'passport'])
    expect(l.confirm).toBe(true)
  })

  it.each([
    [281, 280, true],
    [280, 280, false],
    [5000, 0, false],
  ])('with %i characters of at most %i is too long: %s', (length, max_length, tooLong) => {
    const l = checklist(check({ length, max_length }))!
    expect(l.tooLong).toBe(tooLong)
    expect(l.max).toBe(max_length)
  })

  it('drops a tone guide link that is not http(s)', () => {
    expect(checklist(check({ tone_guide_url: 'javascript:alert(1)' }))!.toneGuide).toBe('')
    expect(checklist(check({ tone_guide_url: undefined }))!.toneGuide).toBe('')
  })
})

describe('who may approve', () => {
  const named = { approvers: [7, 9] }
  const everyone = { approvers: [] }
  it.each<[string, { id: number; role: Role } | null, { approvers: number[] | null } | undefined, boolean]>([
    ['a supervisor, with no approvers named', { id: 2, role: 'supervisor' }, everyone, true],
    ['an admin, with no approvers named', { id: 1, role: 'admin' }, everyone, true],
    ['a plain agent, with no approvers named', { id: 7, role: 'agent' }, everyone, false],
    ['a plain agent the channel names', { id: 7, role: 'agent' }, named, true],
    ['a plain agent the channel does not name', { id: 8, role: 'agent' }, named, false],
    ['a supervisor the channel does not name', { id: 2, role: 'supervisor' }, named, false],
    ['a supervisor the channel names', { id: 9, role: 'supervisor' }, named, true],
    ['an admin the channel does not name', { id: 1, role: 'admin' }, named, true],
    ['a supervisor, on an unknown channel', { id: 2, role: 'supervisor' }, undefined, true],
    ['a plain agent, on an unknown channel', { id: 7, role: 'agent' }, undefined, false],
    ['a plain agent, approvers null', { id: 7, role: 'agent' }, { approvers: null }, false],
    ['nobody signed in', null, named, false],
  ])('%s: %s', (_, agent, ch, want) => {
    expect(mayApprove(agent, ch)).toBe(want)
  })

  it('sends a named approver to the approvals page, not other agents', () => {
    const channels = [{ approvers: null }, { approvers: [7] }]
    expect(approvesAnywhere({ id: 7, role: 'agent' }, channels)).toBe(true)
    expect(approvesAnywhere({ id: 8, role: 'agent' }, channels)).toBe(false)
    expect(approvesAnywhere({ id: 8, role: 'supervisor' }, [])).toBe(true)
    expect(approvesAnywhere(null, channels)).toBe(false)
  })
})

describe('moderationActions', () => {
  const all: Moderation[] = ['hide', 'unhide', 'delete']
  it.each<[string, PublicPost | undefined, Moderation[] | null, Moderation[]]>([
    ['a visible post, all allowed', {}, all, ['hide', 'delete']],
    ['a hidden post, all allowed', { hidden: true }, all, ['unhide', 'delete']],
    ['a deleted post', { deleted: true }, all, []],
    ['a hidden post the channel cannot unhide', { hidden: true }, ['hide', 'delete'], ['delete']],
    ['a post the channel can only delete', {}, ['delete'], ['delete']],
    ['a channel without moderation', {}, null, []],
    ['no post', undefined, all, []],
  ])('%s', (_, post, allowed, want) => {
    expect(moderationActions(post, allowed)).toEqual(want)
  })
})

describe('PublicChecker', () => {
  // Timers the test fires by hand.
  function manualTimers() {
    const due: { fn: () => void; ms: number; id: number }[] = []
    let next = 0
    const timers: Timers = {
      set: (fn, ms) => {
        due.push({ fn, ms, id: ++next })
        return next
      },
      clear: (h) => {
        const i = due.findIndex((d) => d.id === h)
        if (i >= 0) due.splice(i, 1)
      },
    }
    return { timers, due, fire: () => due.splice(0).forEach((d) => d.fn()) }
  }
  function setup() {
    const asked: string[] = []
    const answers: ((r: PublicCheck) => void)[] = []
    const seen: [PublicCheck | null, string][] = []
    const clock = manualTimers()
    const c = new PublicChecker(
      (text) => {
        asked.push(text)
        return new Promise((r) => answers.push(r))
      },
      (r, text) => seen.push([r, text]),
      400,
      clock.timers,
    )
    return { c, asked, answers, seen, clock }
  }
  const tick = () => new Promise((r) => setTimeout(r, 0))

  it('asks once typing pauses, for the latest text only', async () => {
    const { c, asked, answers, seen, clock } = setup()
    c.schedule('Hel')
    c.schedule('Hello')
    expect(clock.due).toHaveLength(1)
    expect(clock.due[0].ms).toBe(400)
    expect(asked).toEqual([])
    clock.fire()
    expect(asked).toEqual(['Hello'])
    answers[0](check({ length: 5 }))
    await tick()
    expect(seen).toEqual([[check({ length: 5 }), 'Hello']])
    expect(c.text).toBe('Hello')
  })

  it('never lets an answer to an older text overwrite a newer one', async () => {
    const { c, answers, seen, clock } = setup()
    c.schedule('mail me at a@b.nl')
    clock.fire()
    c.schedule('mail me')
    clock.fire()
    answers[1](check({ length: 7 }))
    answers[0](check({ findings: [{ kind: 'email', text: 'a@b.nl' }] }))
    await tick()
    expect(seen).toEqual([[check({ length: 7 }), 'mail me']])
  })

  it('checks at once before sending, reusing a fresh answer', async () => {
    const { c, asked, answers } = setup()
    const p = c.now('Thanks!')
    answers[0](check())
    expect(await p).toEqual(check())
    expect(await c.now('Thanks!')).toEqual(check())
    expect(asked).toEqual(['Thanks!'])
  })

  it('ends the wait when a check fails, with no answer for that text', async () => {
    const asked: string[] = []
    const seen: [PublicCheck | null, string][] = []
    const c = new PublicChecker(async (text) => {
      asked.push(text)
      throw new Error('offline')
    }, (r, text) => seen.push([r, text]))
    await expect(c.now('Hi there')).rejects.toThrow('offline')
    expect(seen).toEqual([[null, 'Hi there']])
    expect(c.text).toBe('Hi there')
  })

  it('clears the answer for an empty text, and on reset', async () => {
    const { c, answers, seen, clock } = setup()
    c.schedule('Hi')
    clock.fire()
    answers[0](check())
    await tick()
    c.schedule('  ')
    expect(clock.due).toHaveLength(0)
    expect(seen.at(-1)).toEqual([null, ''])
    c.reset()
    expect(c.result).toBeNull()
  })
})
