import { describe, expect, it } from 'vitest'
import { duration, setLocale } from '../i18n'
import { applyTicket, viewQuery } from '../logic'
import { nextTarget, slaLevel, slaTargets } from '../sla'
import type { Ticket } from '../types'

const tk = (p: Partial<Ticket>): Ticket => ({
  id: 1, number: 1, contact_id: 1, subject: 's', status: 'open', priority: 'normal', tags: [], created_at: 0, updated_at: 0, ...p,
})

describe('SLA', () => {
  const H = 3600_000
  it('levels: ok, amber under 20% left, red when past due or flagged', () => {
    expect(slaLevel(10 * H, 0, 5 * H)).toBe('ok')
    expect(slaLevel(10 * H, 0, 8.5 * H)).toBe('warn')
    expect(slaLevel(10 * H, 0, 10 * H)).toBe('breached')
    expect(slaLevel(10 * H, 0, 1 * H, true)).toBe('breached')
  })
  it('lists running targets earliest first and picks the one sla_due names', () => {
    const t = tk({ created_at: 0, first_response_due: 5 * H, resolution_due: 2 * H, sla_due: 2 * H })
    expect(slaTargets(t).map((x) => x.kind)).toEqual(['resolution', 'first_response'])
    expect(nextTarget(t)?.kind).toBe('resolution')
    expect(nextTarget(tk({}))).toBeNull()
  })
  it('formats durations in minutes, hours and days', async () => {
    await setLocale('en')
    expect(duration(59_000)).toBe('1 min')
    expect(duration(-(2 * H + 5 * 60_000))).toBe('2 h 5 min')
    expect(duration(50 * H)).toBe('2 d 2 h')
    await setLocale('de')
    expect(duration(30 * 60_000)).toBe('30 Min.')
    await setLocale('en')
  })
  it('due and breached views keep their tickets sorted by due time', () => {
    const q = viewQuery('due')
    let list = applyTicket([], tk({ id: 1, sla_due: 500 }), q, 1)
    list = applyTicket(list, tk({ id: 2, sla_due: 100 }), q, 1)
    list = applyTicket(list, tk({ id: 3 }), q, 1) // no SLA running: not in the view
    expect(list.map((x) => x.id)).toEqual([2, 1])
    expect(applyTicket([], tk({ id: 4, sla_due: 1 }), viewQuery('breached'), 1)).toEqual([])
    expect(applyTicket([], tk({ id: 4, sla_due: 1, sla_breached: true }), viewQuery('breached'), 1)).toHaveLength(1)
  })
})
