// @mentions in internal notes, read the way the server reads them
// (internal/desk/mentions.go): @[label](agent:ID) names an agent by id,
// @Name names the agent with exactly that name (ignoring case, longest
// name first); a name several agents share names nobody.
import type { Agent } from './types'

type Named = Pick<Agent, 'id' | 'name' | 'disabled'>

const MARKUP = /^@\[([^\]\n]{0,200})\]\(agent:(\d{1,18})\)/

/** mentionStart says whether an @ after `before` can begin a mention (not inside an e-mail address). */
export function mentionStart(before: string): boolean {
  if (!before) return true
  const last = Array.from(before).pop() ?? ''
  return !/[\p{L}\p{N}._+@-]/u.test(last)
}

function fold(s: string) {
  return s.toLocaleLowerCase()
}

/** nameAt finds the agent whose name starts rest (longest first); null when none or shared. */
function nameAt(rest: string, agents: Named[]): { agent: Named; length: number } | null {
  let best: Named | null = null
  let len = 0
  let shared = false
  const low = fold(rest)
  for (const a of agents) {
    const n = a.name.length
    if (a.disabled || !n || n < len || n > rest.length || fold(a.name) !== low.slice(0, n)) continue
    if (n < rest.length && /[\p{L}\p{N}]/u.test(rest[n])) continue
    if (n > len) {
      best = a
      len = n
      shared = false
    } else if (best && a.id !== best.id) {
      shared = true
    }
  }
  return best && !shared ? { agent: best, length: len } : null
}

export type Segment = { text: string; agentId?: number }

/** mentionSegments splits a note into plain text and mentions, for highlighting. */
export function mentionSegments(text: string, agents: Named[]): Segment[] {
  const out: Segment[] = []
  let plain = ''
  const flush = () => {
    if (plain) out.push({ text: plain })
    plain = ''
  }
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '@' || !mentionStart(text.slice(0, i))) {
      plain += text[i]
      continue
    }
    const m = MARKUP.exec(text.slice(i))
    if (m) {
      const a = agents.find((x) => x.id === Number(m[2]) && !x.disabled)
      if (a) {
        flush()
        out.push({ text: '@' + (a.name || m[1]), agentId: a.id })
      } else {
        plain += m[0]
      }
      i += m[0].length - 1
      continue
    }
    const n = nameAt(text.slice(i + 1), agents)
    if (n) {
      flush()
      out.push({ text: text.slice(i, i + 1 + n.length), agentId: n.agent.id })
      i += n.length
      continue
    }
    plain += '@'
  }
  flush()
  return out
}

/** mentions lists the ids a text mentions, in order, without repeats. */
export function mentions(text: string, agents: Named[]): number[] {
  const ids: number[] = []
  for (const s of mentionSegments(text, agents)) if (s.agentId && !ids.includes(s.agentId)) ids.push(s.agentId)
  return ids
}

/**
 * mentionQuery finds an @mention being typed right before the caret: where
 * its @ is and what follows it (up to 40 characters on one line), or null.
 */
export function mentionQuery(text: string, caret: number): { start: number; q: string } | null {
  const before = text.slice(0, caret)
  const at = before.lastIndexOf('@')
  if (at < 0 || caret - at > 41) return null
  const q = before.slice(at + 1)
  if (/[\n@[\]()]/.test(q) || !mentionStart(before.slice(0, at))) return null
  return { start: at, q }
}

/** mentionCandidates are the enabled agents whose name (or a word of it) starts with q. */
export function mentionCandidates<T extends Named>(agents: T[], q: string, exceptId = 0, limit = 8): T[] {
  const s = fold(q.trim())
  return agents
    .filter((a) => !a.disabled && a.id !== exceptId && a.name)
    .filter((a) => !s || fold(a.name).startsWith(s) || fold(a.name).split(/\s+/).some((w) => w.startsWith(s)))
    .sort((a, b) => Number(!fold(a.name).startsWith(s)) - Number(!fold(b.name).startsWith(s)) || a.name.localeCompare(b.name))
    .slice(0, limit)
}

/** mentionToken is what the composer inserts for an agent: @Name, or the id markup when the name is ambiguous. */
export function mentionToken(agent: Named, agents: Named[]): string {
  const plain = '@' + agent.name
  const n = nameAt(agent.name, agents)
  return n && n.agent.id === agent.id && n.length === agent.name.length ? plain : `@[${agent.name}](agent:${agent.id})`
}
