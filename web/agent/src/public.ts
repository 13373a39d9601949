// Public conversations (comments, mentions, reviews): what the app shows of
// a customer's public post, the checklist before a reply goes out where
// anyone can read it, who may approve such a reply and what an agent may
// do to the post on the site. Pure helpers; the components hold no rules.
import { t } from './i18n'
import type { Agent, Channel, FindingKind, Moderation, PublicCheck, PublicPost, Ticket } from './types'

export const MAX_STARS = 5

/** stars shows a rating as five stars, filled up to it (★★★☆☆); empty without a rating. */
export function stars(rating?: number): string {
  if (!rating || !Number.isFinite(rating) || rating < 1) return ''
  const n = Math.min(MAX_STARS, Math.round(rating))
  return '★'.repeat(n) + '☆'.repeat(MAX_STARS - n)
}

/**
 * safeUrl keeps a link only when it is http or https: the addresses come
 * from the provider, and an agent's click must never run a javascript: URL.
 */
export function safeUrl(u?: string): string {
  if (!u) return ''
  try {
    const p = new URL(u)
    return p.protocol === 'https:' || p.protocol === 'http:' ? p.href : ''
  } catch {
    return ''
  }
}

/** isPublicReply says whether a reply on ticket over channel channelId is seen by anyone: only on the public ticket's own channel. */
export function isPublicReply(ticket: Pick<Ticket, 'public' | 'channel_id'>, channelId: number): boolean {
  return !!ticket.public && !!channelId && channelId === ticket.channel_id
}

/** needsApproval says whether a channel holds public replies for approval: always, unless an admin turned it off. */
export function needsApproval(ch?: Pick<Channel, 'approval'>): boolean {
  return ch?.approval !== 'off'
}

/** FINDING_KINDS is the order in which the checklist names personal data. */
export const FINDING_KINDS: FindingKind[] = ['email', 'phone', 'iban', 'customer_number', 'order_number', 'ticket_number']

/** Checklist is what the composer shows of a public-reply check. */
export interface Checklist {
  /** Personal data found, by kind (in FINDING_KINDS order), each text once. */
  findings: { kind: FindingKind; texts: string[] }[]
  length: number
  /** The channel's maximum length; 0: none. */
  max: number
  tooLong: boolean
  toneGuide: string
  /** The agent confirms the checklist before the reply is sent (personal data was found). */
  confirm: boolean
}

/** checklist reads a public-reply check; null when there is none (not public, or not checked yet). */
export function checklist(check: PublicCheck | null | undefined): Checklist | null {
  if (!check?.public) return null
  const byKind = new Map<FindingKind, string[]>()
  for (const f of check.findings ?? []) {
    const list = byKind.get(f.kind) ?? []
    if (!list.includes(f.text)) list.push(f.text)
    byKind.set(f.kind, list)
  }
  const known = FINDING_KINDS.filter((k) => byKind.has(k)).map((kind) => ({ kind, texts: byKind.get(kind)! }))
  // A kind this app does not know yet still counts, named as personal data.
  const other = [...byKind.keys()].filter((k) => !FINDING_KINDS.includes(k)).map((kind) => ({ kind, texts: byKind.get(kind)! }))
  const findings = [...known, ...other]
  const max = check.max_length > 0 ? check.max_length : 0
  return {
    findings,
    length: check.length,
    max,
    tooLong: max > 0 && check.length > max,
    toneGuide: safeUrl(check.tone_guide_url),
    confirm: findings.length > 0,
  }
}

/**
 * mayApprove says whether an agent may review a reply awaiting approval on
 * channel ch, as the server decides it: admins always; where the channel
 * names approvers, only they; else supervisors.
 */
export function mayApprove(agent: Pick<Agent, 'id' | 'role'> | null | undefined, ch?: Pick<Channel, 'approvers'>): boolean {
  if (!agent) return false
  if (agent.role === 'admin') return true
  if (ch?.approvers?.length) return ch.approvers.includes(agent.id)
  return agent.role === 'supervisor'
}

/**
 * approvesAnywhere says whether an agent has an approvals page: supervisors
 * and admins, and the agents a channel names as approvers.
 */
export function approvesAnywhere(agent: Pick<Agent, 'id' | 'role'> | null | undefined, channels: Pick<Channel, 'approvers'>[]): boolean {
  if (!agent) return false
  return agent.role !== 'agent' || channels.some((c) => !!c.approvers?.includes(agent.id))
}

/**
 * moderationActions lists what an agent can do to a public post now, as
 * far as the channel allows: hide it or show it again, and delete it.
 * Nothing once it is deleted.
 */
export function moderationActions(post: PublicPost | undefined, allowed: Moderation[] | null | undefined): Moderation[] {
  if (!post || post.deleted || !allowed?.length) return []
  const out: Moderation[] = []
  if (post.hidden ? allowed.includes('unhide') : allowed.includes('hide')) out.push(post.hidden ? 'unhide' : 'hide')
  if (allowed.includes('delete')) out.push('delete')
  return out
}

/** Timers lets tests drive the checker's delay. */
export interface Timers {
  set: (fn: () => void, ms: number) => unknown
  clear: (handle: unknown) => void
}
const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/**
 * PublicChecker asks the server to check a reply while the agent types:
 * once they pause (delay ms), and at once before sending. An answer to an
 * older text never overwrites a newer one.
 */
export class PublicChecker {
  private seq = 0
  private pending: unknown = null
  /** The text of the latest answer, and the answer. */
  text = ''
  result: PublicCheck | null = null

  constructor(
    private ask: (text: string) => Promise<PublicCheck>,
    private onResult: (r: PublicCheck | null, text: string) => void,
    private delay = 400,
    private timers: Timers = realTimers,
  ) {}

  /** schedule checks text once typing pauses; an empty text clears the result at once. */
  schedule(text: string): void {
    this.cancel()
    if (!text.trim()) {
      this.set(null, '')
      return
    }
    this.pending = this.timers.set(() => {
      this.pending = null
      void this.now(text).catch(() => null)
    }, this.delay)
  }

  /** now checks text at once (a fresh answer is reused) and returns the answer. */
  async now(text: string): Promise<PublicCheck | null> {
    this.cancel()
    if (this.result && this.text === text) return this.result
    const n = ++this.seq
    try {
      const r = await this.ask(text)
      if (n === this.seq) this.set(r, text)
      return r
    } catch (e) {
      // A failed check ends the wait; the server still checks the reply when it is sent.
      if (n === this.seq) this.set(null, text)
      throw e
    }
  }

  /** cancel drops a scheduled check and any answer still under way. */
  cancel(): void {
    if (this.pending !== null) this.timers.clear(this.pending)
    this.pending = null
    this.seq++
  }

  /** reset forgets everything (another ticket or channel). */
  reset(): void {
    this.cancel()
    this.set(null, '')
  }

  private set(r: PublicCheck | null, text: string) {
    this.result = r
    this.text = text
    this.onResult(r, text)
  }
}

/** findingName names a kind of personal data for the agent. */
export function findingName(kind: string): string {
  return (FINDING_KINDS as string[]).includes(kind) ? t(`public.finding.${kind as FindingKind}`) : t('public.finding.other')
}
