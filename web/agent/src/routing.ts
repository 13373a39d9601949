// Routing in the app: capacities as admins edit them, and the figures of
// the supervisors' queue view.
import type { AgentLoad, Capacity, QueueRow, Team } from './types'

/** formatCosts writes a capacity's costs as "call=10, chat=3". */
export function formatCosts(c?: Capacity | null): string {
  return Object.entries(c?.costs ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')
}

/** parseCosts reads "call=10, chat=3"; returns null when a part is not kind=number. */
export function parseCosts(s: string): Record<string, number> | null {
  const out: Record<string, number> = {}
  for (const part of s.split(/[,;\s]+/).filter(Boolean)) {
    const m = /^([a-z][a-z0-9_-]*)=(\d{1,4})$/i.exec(part)
    if (!m) return null
    out[m[1].toLowerCase()] = Number(m[2])
  }
  return out
}

export interface CapacityForm {
  custom: boolean
  budget: number | ''
  costs: string
  other: number | ''
}

export function capacityForm(c?: Capacity | null): CapacityForm {
  return c ? { custom: true, budget: c.budget, costs: formatCosts(c), other: c.other } : { custom: false, budget: 10, costs: '', other: 1 }
}

/** capacityFrom turns the form into a capacity (null: use the default), or a string saying what is wrong. */
export function capacityFrom(f: CapacityForm): Capacity | null | 'budget' | 'costs' {
  if (!f.custom) return null
  if (f.budget === '' || f.budget < 1) return 'budget'
  const costs = parseCosts(f.costs)
  if (!costs) return 'costs'
  return { budget: Number(f.budget), costs, other: f.other === '' ? 1 : Number(f.other) }
}

/** parseSkills reads a comma-separated skill list: trimmed, lower case, unique, sorted. */
export function parseSkills(s: string): string[] {
  return [...new Set(s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean))].sort()
}

/** loadPercent is how full an agent is, 0–100. */
export function loadPercent(a: Pick<AgentLoad, 'load' | 'budget'>): number {
  if (a.budget <= 0) return a.load > 0 ? 100 : 0
  return Math.min(100, Math.round((a.load / a.budget) * 100))
}

export interface TeamQueues {
  team: Pick<Team, 'id' | 'name'>
  rows: QueueRow[]
  waiting: number
}

/** groupQueues orders the queues by team (by name, unknown teams last) and channel kind. */
export function groupQueues(rows: QueueRow[], teams: Pick<Team, 'id' | 'name'>[]): TeamQueues[] {
  const by = new Map<number, TeamQueues>()
  for (const r of rows) {
    let g = by.get(r.team_id)
    if (!g) {
      g = { team: teams.find((x) => x.id === r.team_id) ?? { id: r.team_id, name: r.team_id ? `#${r.team_id}` : '—' }, rows: [], waiting: 0 }
      by.set(r.team_id, g)
    }
    g.rows.push(r)
    g.waiting += r.waiting
  }
  const list = [...by.values()]
  for (const g of list) g.rows.sort((a, b) => a.kind.localeCompare(b.kind))
  return list.sort((a, b) => Number(!a.team.id) - Number(!b.team.id) || a.team.name.localeCompare(b.team.name))
}
