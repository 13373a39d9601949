import { describe, expect, it } from 'vitest'
import {
  applyMessage, applyTicket, backoff, effectiveQuery, isUnread, loadSeen, markSeen, matches, parseTags, saveSeen, viewQuery,
} from '../logic'
import type { Message, Ticket } from '../types'

const ME = 7
function tk(id: number, over: Partial<Ticket> = {}): Ticket {
  return {
    id, number: 10000 + id, contact_id: 1, subject: `T${id}`, status: 'open', priority: 'normal', tags: [],
    created_at: 1000, updated_at: 1000 + id, ...over,
  }
}
function msg(id: number, over: Partial<Message> = {}): Message {
  return { id, ticket_id: 1, kind: 'message', author_type: 'contact', text: `m${id}`, attachments: [], created_at: id * 10, updated_at: id * 10, ...over }
}

describe('views and matching', () => {
  it('maps views to queries', () => {
    expect(viewQuery('mine')).toMatchObject({ assignee_id: 'me' })
    expect(viewQuery('unassigned')).toMatchObject({ assignee_id: 'none' })
    expect(viewQuery('team-3')).toMatchObject({ team_id: 3 })
    expect(viewQuery('status-solved')).toEqual({ status: ['solved'] })
    expect(viewQuery('all')).toEqual({})
  })
  it('lets filters override the view', () => {
    expect(effectiveQuery('mine', { status: 'pending', tag: ' VIP ', priority: 'high' })).toEqual({
      assignee_id: 'me', status: ['pending'], tag: 'vip', priority: 'high',
    })
  })
  it('matches tickets against a query', () => {
    expect(matches(tk(1, { assignee_id: ME }), viewQuery('mine'), ME)).toBe(true)
    expect(matches(tk(1, { assignee_id: 8 }), viewQuery('mine'), ME)).toBe(false)
    expect(matches(tk(1), viewQuery('unassigned'), ME)).toBe(true)
    expect(matches(tk(1, { status: 'solved' }), viewQuery('unassigned'), ME)).toBe(false)
    expect(matches(tk(1, { team_id: 3 }), viewQuery('team-3'), ME)).toBe(true)
    expect(matches(tk(1, { team_id: 4 }), viewQuery('team-3'), ME)).toBe(false)
    expect(matches(tk(1, { tags: ['vip'] }), { tag: 'VIP' }, ME)).toBe(true)
    expect(matches(tk(1), { priority: 'urgent' }, ME)).toBe(false)
    expect(matches(tk(1), { q: 'bike' }, ME)).toBe(null)
  })
})

describe('applying ticket events', () => {
  const all = viewQuery('all')
  it('inserts a new ticket sorted by last update', () => {
    const list = [tk(2), tk(1)]
    const next = applyTicket(list, tk(3), all, ME)
    expect(next.map((x) => x.id)).toEqual([3, 2, 1])
  })
  it('moves an updated ticket to the top', () => {
    const list = [tk(3), tk(2), tk(1)]
    const next = applyTicket(list, tk(1, { updated_at: 5000, status: 'pending' }), all, ME)
    expect(next.map((x) => x.id)).toEqual([1, 3, 2])
    expect(next[0].status).toBe('pending')
  })
  it('removes a ticket that no longer matches the view', () => {
    const mine = viewQuery('mine')
    const list = [tk(2, { assignee_id: ME }), tk(1, { assignee_id: ME })]
    const next = applyTicket(list, tk(2, { assignee_id: 9, updated_at: 9000 }), mine, ME)
    expect(next.map((x) => x.id)).toEqual([1])
  })
  it('ignores a ticket that does not match and is not listed', () => {
    const list = [tk(1, { assignee_id: ME })]
    expect(applyTicket(list, tk(5), viewQuery('mine'), ME)).toBe(list)
  })
  it('never replaces a newer version with an older one', () => {
    const list = [tk(1, { updated_at: 9000, status: 'solved' })]
    const next = applyTicket(list, tk(1, { updated_at: 8000, status: 'open' }), all, ME)
    expect(next[0].status).toBe('solved')
  })
  it('leaves text-search lists to a refetch', () => {
    const list = [tk(1)]
    expect(applyTicket(list, tk(2), { q: 'x' }, ME)).toBe(list)
  })
})

describe('applying message events', () => {
  it('appends in order and de-duplicates', () => {
    let ms = [msg(1), msg(3)]
    ms = applyMessage(ms, msg(2))
    ms = applyMessage(ms, msg(2))
    expect(ms.map((m) => m.id)).toEqual([1, 2, 3])
  })
  it('updates delivery status monotonically by updated_at', () => {
    let ms = [msg(1, { direction: 'out', delivery_status: 'queued', updated_at: 10 })]
    ms = applyMessage(ms, msg(1, { direction: 'out', delivery_status: 'failed', updated_at: 20 }))
    expect(ms[0].delivery_status).toBe('failed')
    ms = applyMessage(ms, msg(1, { direction: 'out', delivery_status: 'queued', updated_at: 15 }))
    expect(ms[0].delivery_status).toBe('failed')
  })
  it('keeps a failure reported in the same millisecond as the POST answer', () => {
    let ms = [msg(1, { direction: 'out', delivery_status: 'failed', updated_at: 10 })]
    ms = applyMessage(ms, msg(1, { direction: 'out', delivery_status: 'queued', updated_at: 10 }))
    expect(ms[0].delivery_status).toBe('failed')
    // a retry queues it again, later
    ms = applyMessage(ms, msg(1, { direction: 'out', delivery_status: 'queued', updated_at: 11 }))
    expect(ms[0].delivery_status).toBe('queued')
  })
})

describe('unread markers', () => {
  it('marks tickets unread until seen, and again after an update', () => {
    let seen = {}
    const t1 = tk(1)
    expect(isUnread(t1, seen)).toBe(true)
    seen = markSeen(seen, t1)
    expect(isUnread(t1, seen)).toBe(false)
    expect(isUnread({ ...t1, updated_at: t1.updated_at + 1 }, seen)).toBe(true)
  })
  it('does not move the marker backwards', () => {
    const seen = markSeen({}, { id: 1, updated_at: 50 })
    expect(markSeen(seen, { id: 1, updated_at: 40 })).toBe(seen)
  })
  it('persists per agent in storage and survives garbage', () => {
    localStorage.clear()
    saveSeen(localStorage, 7, { 1: 99 })
    expect(loadSeen(localStorage, 7)).toEqual({ 1: 99 })
    expect(loadSeen(localStorage, 8)).toEqual({})
    localStorage.setItem('loket.seen.9', '{not json')
    expect(loadSeen(localStorage, 9)).toEqual({})
  })
  it('keeps the map bounded', () => {
    let seen = {}
    for (let i = 1; i <= 2100; i++) seen = markSeen(seen, { id: i, updated_at: i })
    expect(Object.keys(seen).length).toBe(2000)
    expect(isUnread({ id: 2100, updated_at: 2100 }, seen)).toBe(false)
  })
})

describe('helpers', () => {
  it('parses tags', () => {
    expect(parseTags(' VIP, refund ,,vip ')).toEqual(['refund', 'vip'])
  })
  it('backs off exponentially up to 15 s', () => {
    expect(backoff(0, () => 0)).toBe(250)
    expect(backoff(0, () => 1)).toBe(500)
    expect(backoff(3, () => 1)).toBe(4000)
    expect(backoff(20, () => 1)).toBe(15000)
  })
})
