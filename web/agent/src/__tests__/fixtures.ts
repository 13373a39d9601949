import type { Agent } from '../types'

// Agents shared by the tests of mentions, the timeline and the desk store.
export const agent = (id: number, name: string, over: Partial<Agent> = {}): Agent => ({
  id, name, email: `${id}@x`, role: 'agent', language: 'en', disabled: false, team_ids: [], created_at: 0, ...over,
})
export const agents = [agent(1, 'Jan'), agent(2, 'Jan de Vries'), agent(3, 'Petra'), agent(4, 'Kim'), agent(5, 'Kim'), agent(6, 'Olaf', { disabled: true })]
