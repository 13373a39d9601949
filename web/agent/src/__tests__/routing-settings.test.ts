import { describe, expect, it } from 'vitest'
import { capacityForm, capacityFrom, formatCosts, groupQueues, loadPercent, parseCosts, parseSkills } from '../routing'

describe('routing helpers', () => {
  it('reads and writes capacity costs', () => {
    expect(parseCosts('call=10, chat=3 email=1')).toEqual({ call: 10, chat: 3, email: 1 })
    expect(parseCosts('chat')).toBeNull()
    expect(formatCosts({ budget: 10, costs: { chat: 3, call: 10 }, other: 1 })).toBe('call=10, chat=3')
    expect(capacityFrom(capacityForm(null))).toBeNull()
    expect(capacityFrom({ custom: true, budget: 10, costs: 'chat=3', other: '' })).toEqual({ budget: 10, costs: { chat: 3 }, other: 1 })
    expect(capacityFrom({ custom: true, budget: 0, costs: '', other: 1 })).toBe('budget')
    expect(capacityFrom({ custom: true, budget: 5, costs: 'chat=x', other: 1 })).toBe('costs')
    expect(parseSkills(' NL, billing,nl ')).toEqual(['billing', 'nl'])
  })
  it('computes load bars and groups queues per team', () => {
    expect(loadPercent({ load: 3, budget: 10 })).toBe(30)
    expect(loadPercent({ load: 12, budget: 10 })).toBe(100)
    expect(loadPercent({ load: 0, budget: 0 })).toBe(0)
    const rows = [
      { team_id: 2, kind: 'email', waiting: 1, longest_wait_ms: 1, estimated_wait_ms: 1 },
      { team_id: 1, kind: 'email', waiting: 2, longest_wait_ms: 1, estimated_wait_ms: 1 },
      { team_id: 1, kind: 'chat', waiting: 3, longest_wait_ms: 1, estimated_wait_ms: 1 },
      { team_id: 0, kind: 'api', waiting: 1, longest_wait_ms: 1, estimated_wait_ms: 1 },
    ]
    const g = groupQueues(rows, [{ id: 1, name: 'Support' }, { id: 2, name: 'Billing' }])
    expect(g.map((x) => [x.team.name, x.waiting, x.rows.map((r) => r.kind)])).toEqual([
      ['Billing', 1, ['email']], ['Support', 5, ['chat', 'email']], ['—', 1, ['api']],
    ])
  })
})
