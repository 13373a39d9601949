// A small fetch wrapper for the Loket API. Requests are same-origin and
// authenticated by the session cookie.
import type {
  Agent, AgentSession, Role, TwoFactorEnrolment, Calendar, Call, CallDetail, Campaign, CampaignInput, CampaignRecipient, CannedResponse, Capacity, Channel, ConnectionCheck, Contact, ContactDetail, Identity, KbArticle, KbCategory,
  ExternalEvent, KbHit, Lang, Message, MessageOptions, MessageTemplate, Moderation, Presence, PublicCheck, QueueView, RoutingMode, Rule, RuleInput, RuleRun, RuleSchema,
  RuleTestResult, RuleVersion, SearchResult, SignInFailures, SLAPolicy, Team, Template, TemplatePreviewInput, Ticket, TicketDetail, TicketPage,
  TakePrivateResult, TicketPatch, Webhook, WebhookDelivery,
} from './types'

/** What signing in answers: a session (agent), or the second step (two_factor). */
export interface SignInAnswer {
  agent?: Agent
  sign_in_failures?: SignInFailures
  two_factor?: { challenge: string; expires_at: number }
  /** The role requires two-factor sign-in and the agent has not set it up. */
  two_factor_required?: boolean
}

/** Desk-wide security settings an admin changes. */
export interface SecuritySettings {
  two_factor_roles: Role[]
}

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message)
  }
}

let onUnauthorized: (() => void) | null = null
/** Called when a request is answered 401 (the session ended). */
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn
}

let onTwoFactorRequired: (() => void) | null = null
/** Called when a request is refused because the agent's role now requires two-factor sign-in, not yet set up. */
export function setTwoFactorRequiredHandler(fn: () => void) {
  onTwoFactorRequired = fn
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} }
  if (body instanceof FormData) {
    init.body = body // multipart: the browser sets the Content-Type with its boundary
  } else if (body !== undefined) {
    init.body = JSON.stringify(body)
    ;(init.headers as Record<string, string>)['Content-Type'] = 'application/json'
  }
  const res = await fetch(path, init)
  if (res.status === 204) return undefined as T
  let data: any = null
  const text = await res.text()
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }
  if (!res.ok) {
    if (res.status === 401 && onUnauthorized && path !== '/api/v1/session') onUnauthorized()
    const err = data?.error
    if (res.status === 403 && err?.code === 'two_factor_required' && onTwoFactorRequired) onTwoFactorRequired()
    throw new ApiError(res.status, err?.code ?? 'http_' + res.status, err?.message ?? res.statusText)
  }
  return data as T
}

export interface TicketQuery {
  status?: string[]
  team_id?: number
  assignee_id?: number | 'me' | 'none'
  priority?: string
  tag?: string
  q?: string
  channel_id?: number
  contact_id?: number
  cursor?: string
  limit?: number
  sort?: 'updated' | 'due'
  breached?: boolean
}

export function ticketQueryString(q: TicketQuery): string {
  const p = new URLSearchParams()
  if (q.status?.length) p.set('status', q.status.join(','))
  if (q.team_id) p.set('team_id', String(q.team_id))
  if (q.assignee_id !== undefined) p.set('assignee_id', String(q.assignee_id))
  if (q.priority) p.set('priority', q.priority)
  if (q.tag) p.set('tag', q.tag)
  if (q.q) p.set('q', q.q)
  if (q.channel_id) p.set('channel_id', String(q.channel_id))
  if (q.contact_id) p.set('contact_id', String(q.contact_id))
  if (q.sort && q.sort !== 'updated') p.set('sort', q.sort)
  if (q.breached) p.set('breached', 'true')
  if (q.cursor) p.set('cursor', q.cursor)
  if (q.limit) p.set('limit', String(q.limit))
  const s = p.toString()
  return s ? '?' + s : ''
}

export const api = {
  me: () => request<{ agent: Agent; two_factor_required?: boolean }>('GET', '/api/v1/session'),
  login: (email: string, password: string) => request<SignInAnswer>('POST', '/api/v1/session', { email, password }),
  /** secondFactor finishes a sign-in with a code from the app, or a recovery code. */
  secondFactor: (challenge: string, code: { code: string } | { recovery_code: string }) =>
    request<SignInAnswer>('POST', '/api/v1/session/two-factor', { challenge, ...code }),
  enrolTwoFactor: () => request<TwoFactorEnrolment>('POST', '/api/v1/session/two-factor/enrol'),
  confirmTwoFactor: (code: string) => request<{ agent: Agent; recovery_codes: string[] }>('POST', '/api/v1/session/two-factor/confirm', { code }),
  disableTwoFactor: (code: string) => request<{ agent: Agent }>('POST', '/api/v1/session/two-factor/disable', { code }),
  mySessions: () => request<{ sessions: AgentSession[] }>('GET', '/api/v1/session/sessions'),
  revokeMySession: (id: string) => request<void>('DELETE', `/api/v1/session/sessions/${encodeURIComponent(id)}`),
  revokeMyOtherSessions: () => request<{ revoked: number }>('DELETE', '/api/v1/session/sessions'),
  agentSessions: (id: number) => request<{ sessions: AgentSession[] }>('GET', `/api/v1/agents/${id}/sessions`),
  revokeAgentSessions: (id: number) => request<{ revoked: number }>('DELETE', `/api/v1/agents/${id}/sessions`),
  revokeAgentSession: (id: number, sid: string) => request<void>('DELETE', `/api/v1/agents/${id}/sessions/${encodeURIComponent(sid)}`),
  resetTwoFactor: (id: number) => request<Agent>('POST', `/api/v1/agents/${id}/two-factor/reset`),
  unlockAgent: (id: number) => request<void>('POST', `/api/v1/agents/${id}/unlock`),
  securitySettings: () => request<SecuritySettings>('GET', '/api/v1/settings/security'),
  saveSecuritySettings: (s: SecuritySettings) => request<SecuritySettings>('PUT', '/api/v1/settings/security', s),
  logout: () => request<void>('DELETE', '/api/v1/session'),
  updateProfile: (p: { name?: string; language?: Lang; phone?: string }) => request<{ agent: Agent }>('PATCH', '/api/v1/session', p),
  changePassword: (current: string, next: string) => request<void>('PUT', '/api/v1/session/password', { current, new: next }),
  setPresence: (presence: Presence) => request<{ presence: Presence; since: number }>('PUT', '/api/v1/session/presence', { presence }),
  queueNext: () => request<Ticket | undefined>('POST', '/api/v1/queue/next'),
  queues: () => request<QueueView>('GET', '/api/v1/queues'),

  agents: () => request<{ agents: Agent[] }>('GET', '/api/v1/agents'),
  createAgent: (a: { email: string; password: string; name: string; role: string; language: string; team_ids: number[] }) =>
    request<Agent>('POST', '/api/v1/agents', a),
  updateAgent: (id: number, a: Partial<Pick<Agent, 'name' | 'role' | 'language' | 'disabled' | 'team_ids' | 'skills' | 'capacity' | 'phone'>>) =>
    request<Agent>('PATCH', `/api/v1/agents/${id}`, a),
  teams: () => request<{ teams: Team[] }>('GET', '/api/v1/teams'),
  createTeam: (name: string) => request<Team>('POST', '/api/v1/teams', { name }),
  updateTeam: (id: number, t: { name?: string; mode?: RoutingMode; capacity?: Capacity | null; reassign_after_seconds?: number }) =>
    request<Team>('PATCH', `/api/v1/teams/${id}`, t),
  channels: () => request<{ channels: Channel[]; kinds: string[] }>('GET', '/api/v1/channels'),
  createChannel: (c: { kind: string; name: string; team_id?: number; settings?: Record<string, unknown> }) =>
    request<Channel>('POST', '/api/v1/channels', c),

  tickets: (q: TicketQuery) => request<TicketPage>('GET', '/api/v1/tickets' + ticketQueryString(q)),
  ticket: (id: number) => request<TicketDetail>('GET', `/api/v1/tickets/${id}`),
  patchTicket: (id: number, patch: TicketPatch) => request<Ticket>('PATCH', `/api/v1/tickets/${id}`, patch),
  postMessage: (id: number, text: string, opts: MessageOptions = {}) => {
    const body: Record<string, unknown> = { text }
    if (opts.note) body.note = true
    else {
      if (opts.channel_id) body.channel_id = opts.channel_id
      if (opts.to) body.to = opts.to
      if (opts.cc?.length) body.cc = opts.cc
      if (opts.template) body.template = opts.template
    }
    if (opts.attachments?.length) body.attachments = opts.attachments
    if (opts.send_at && !opts.note) body.send_at = opts.send_at
    if (opts.approval && !opts.note) body.approval = true
    if (opts.checked && !opts.note) body.checked = true
    return request<Message>('POST', `/api/v1/tickets/${id}/messages`, body)
  },
  /** approveReply sends a reply awaiting approval, with the reviewer's text when they corrected it. */
  approveReply: (id: number, text?: string) => request<Message>('POST', `/api/v1/messages/${id}/approve`, text === undefined ? {} : { text }),
  /** returnReply sends a reply awaiting approval back to its writer. */
  returnReply: (id: number, comment: string) => request<Message>('POST', `/api/v1/messages/${id}/return`, { comment }),
  /** approvals are the replies waiting for a second person, oldest first. */
  approvals: async () => listOf<Message>(await request<unknown>('GET', '/api/v1/approvals'), 'messages'),
  /** publicCheck checks a reply before it goes out in public: personal data, length, the tone guide. */
  publicCheck: (ticketId: number, text: string, channelId: number) =>
    request<PublicCheck>('POST', `/api/v1/tickets/${ticketId}/public-check`, { text, channel_id: channelId }),
  /** takePrivate answers in public briefly and goes on in private (a new ticket, or a link where the customer identifies). */
  takePrivate: (ticketId: number, publicText: string, text: string) =>
    request<TakePrivateResult>('POST', `/api/v1/tickets/${ticketId}/take-private`, { public_text: publicText, text }),
  /** moderate hides, shows again or deletes a customer's public post on the site. */
  moderate: (messageId: number, action: Moderation) => request<Message>('POST', `/api/v1/messages/${messageId}/moderate`, { action }),
  retryMessage: (id: number) => request<Message>('POST', `/api/v1/messages/${id}/retry`),
  /** cancelSchedule stops a scheduled reply; the answer is the message (cancelled) or nothing (deleted). */
  cancelSchedule: (id: number) => request<Message | undefined>('DELETE', `/api/v1/messages/${id}/schedule`),

  contact: (id: number) => request<ContactDetail>('GET', `/api/v1/contacts/${id}`),
  contactByNumber: (n: string) => request<ContactDetail>('GET', `/api/v1/contacts/by-number/${encodeURIComponent(n)}`),
  updateContact: (
    id: number,
    c: { name?: string; language?: string; address?: string; attributes?: Record<string, unknown>; identities?: Identity[]; verified?: boolean },
  ) => request<ContactDetail>('PATCH', `/api/v1/contacts/${id}`, c),
  mergeContact: (id: number, other: number) => request<ContactDetail>('POST', `/api/v1/contacts/${id}/merge`, { contact_id: other }),
  contacts: (q: string, after?: number, limit = 50) => {
    const p = new URLSearchParams()
    if (q) p.set('q', q)
    if (after) p.set('after', String(after))
    p.set('limit', String(limit))
    return request<{ contacts: Contact[] }>('GET', '/api/v1/contacts?' + p.toString())
  },
  updateChannel: (
    id: number,
    c: {
      name?: string; team_id?: number; enabled?: boolean; settings?: Record<string, unknown>
      approval?: '' | 'off'; approvers?: number[]; tone_guide_url?: string
    },
  ) =>
    request<Channel>('PATCH', `/api/v1/channels/${id}`, c),
  testChannel: (id: number) => request<{ ok: boolean; checks: ConnectionCheck[] }>('POST', `/api/v1/channels/${id}/test`),
  channelTemplates: (id: number) => request<{ templates: Template[] | null }>('GET', `/api/v1/channels/${id}/templates`),
  channelSnippet: (id: number) => request<{ html: string }>('GET', `/api/v1/channels/${id}/snippet`),

  calendars: () => request<{ calendars: Calendar[] | null }>('GET', '/api/v1/calendars'),
  saveCalendar: (c: Calendar | Omit<Calendar, 'id'>) =>
    'id' in c && c.id
      ? request<Calendar>('PUT', `/api/v1/calendars/${c.id}`, { name: c.name, config: c.config })
      : request<Calendar>('POST', '/api/v1/calendars', { name: c.name, config: c.config }),
  policies: () => request<{ policies: SLAPolicy[] | null; defaults?: Record<string, SLAPolicy> }>('GET', '/api/v1/sla-policies'),
  savePolicy: (p: SLAPolicy) => {
    const { id, ...body } = p
    return id ? request<SLAPolicy>('PUT', `/api/v1/sla-policies/${id}`, body) : request<SLAPolicy>('POST', '/api/v1/sla-policies', body)
  },
  canned: () => request<{ canned_responses: CannedResponse[] | null }>('GET', '/api/v1/canned-responses'),
  saveCanned: (c: { id?: number; title: string; text: string }) =>
    c.id
      ? request<CannedResponse>('PUT', `/api/v1/canned-responses/${c.id}`, { title: c.title, text: c.text })
      : request<CannedResponse>('POST', '/api/v1/canned-responses', { title: c.title, text: c.text }),
  deleteCanned: (id: number) => request<void>('DELETE', `/api/v1/canned-responses/${id}`),

  search: (q: string) => request<SearchResult>('GET', '/api/v1/search?q=' + encodeURIComponent(q)),

  kbCategories: () => request<{ categories: KbCategory[] | null }>('GET', '/api/v1/kb/categories'),
  saveKbCategory: (c: Omit<KbCategory, 'id' | 'slug'> & { id?: number; slug?: string }) => {
    const { id, ...body } = c
    return id ? request<KbCategory>('PUT', `/api/v1/kb/categories/${id}`, body) : request<KbCategory>('POST', '/api/v1/kb/categories', body)
  },
  deleteKbCategory: (id: number) => request<void>('DELETE', `/api/v1/kb/categories/${id}`),
  kbArticles: (q: { language?: string; category_id?: number; status?: string; q?: string } = {}) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '' && v !== 0) p.set(k, String(v))
    const qs = p.toString()
    return request<{ articles: KbArticle[] | null }>('GET', '/api/v1/kb/articles' + (qs ? '?' + qs : ''))
  },
  kbArticle: (id: number) => request<KbArticle>('GET', `/api/v1/kb/articles/${id}`),
  saveKbArticle: (a: KbArticleInput & { id?: number }) => {
    const { id, ...body } = a
    return id ? request<KbArticle>('PUT', `/api/v1/kb/articles/${id}`, body) : request<KbArticle>('POST', '/api/v1/kb/articles', body)
  },
  deleteKbArticle: (id: number) => request<void>('DELETE', `/api/v1/kb/articles/${id}`),
  suggestedArticles: (ticketId: number) => request<{ hits: KbHit[] | null }>('GET', `/api/v1/kb/suggested-articles?ticket_id=${ticketId}`),

  ruleSchema: () => request<RuleSchema>('GET', '/api/v1/rules/schema'),
  rules: async () => listOf<Rule>(await request<unknown>('GET', '/api/v1/rules'), 'rules'),
  saveRule: (r: RuleInput) => {
    const { id, ...body } = r
    return id ? request<Rule>('PUT', `/api/v1/rules/${id}`, body) : request<Rule>('POST', '/api/v1/rules', body)
  },
  deleteRule: (id: number) => request<void>('DELETE', `/api/v1/rules/${id}`),
  ruleVersions: async (id: number) => listOf<RuleVersion>(await request<unknown>('GET', `/api/v1/rules/${id}/versions`), 'versions'),
  ruleRuns: async (id: number, limit = 50) => listOf<RuleRun>(await request<unknown>('GET', `/api/v1/rules/${id}/runs?limit=${limit}`), 'runs'),
  testRule: (rule: RuleInput, on: { ticket_number?: number; ticket_id?: number; event_id?: number }) =>
    request<RuleTestResult>('POST', '/api/v1/rules/test', { rule, ...on }),

  templates: async () => listOf<MessageTemplate>(await request<unknown>('GET', '/api/v1/templates'), 'templates'),
  saveTemplate: (tpl: Omit<MessageTemplate, 'id' | 'updated_at'> & { id?: number }) => {
    const { id, ...body } = tpl
    return id ? request<MessageTemplate>('PUT', `/api/v1/templates/${id}`, body) : request<MessageTemplate>('POST', '/api/v1/templates', body)
  },
  deleteTemplate: (id: number) => request<void>('DELETE', `/api/v1/templates/${id}`),
  previewTemplate: (p: TemplatePreviewInput) => request<{ subject: string; body: string }>('POST', '/api/v1/templates/preview', p),

  webhooks: async () => listOf<Webhook>(await request<unknown>('GET', '/api/v1/webhooks'), 'webhooks'),
  webhookEventTypes: async () => listOf<string>(await request<unknown>('GET', '/api/v1/webhooks/event-types'), 'event_types'),
  createWebhook: (w: { url: string; events: string[] }) => request<Webhook>('POST', '/api/v1/webhooks', w),
  updateWebhook: (id: number, w: { url?: string; events?: string[]; active?: boolean }) => request<Webhook>('PATCH', `/api/v1/webhooks/${id}`, w),
  deleteWebhook: (id: number) => request<void>('DELETE', `/api/v1/webhooks/${id}`),
  webhookDeliveries: async (id: number, limit = 50) =>
    listOf<WebhookDelivery>(await request<unknown>('GET', `/api/v1/webhooks/${id}/deliveries?limit=${limit}`), 'deliveries'),
  redeliver: (id: number) => request<WebhookDelivery>('POST', `/api/v1/webhook-deliveries/${id}/redeliver`),

  campaigns: async () => listOf<Campaign>(await request<unknown>('GET', '/api/v1/campaigns'), 'campaigns'),
  campaign: (id: number) => request<Campaign>('GET', `/api/v1/campaigns/${id}`),
  startCampaign: (c: CampaignInput) => request<Campaign>('POST', '/api/v1/campaigns', c),
  /** campaignRecipients pages by contact id: the next page starts after the last one's contact_id. */
  campaignRecipients: async (id: number, after = 0, limit = 100) =>
    listOf<CampaignRecipient>(await request<unknown>('GET', `/api/v1/campaigns/${id}/recipients?after=${after}&limit=${limit}`), 'recipients'),

  /** dial asks the telephone system to connect the agent's phone with number, logged on the ticket (click-to-call). */
  dial: (ticketId: number, number: string, channelId?: number) =>
    request<{ call: Call }>('POST', `/api/v1/tickets/${ticketId}/calls`, channelId ? { number, channel_id: channelId } : { number }),
  /** calls is the call log, newest first; query from callQuery. */
  calls: async (query: string) => listOf<Call>(await request<unknown>('GET', '/api/v1/calls' + query), 'calls'),
  /** call is one call with its caller and the caller's tickets (id: the call entry's message id). */
  call: (id: number) => request<CallDetail>('GET', `/api/v1/calls/${id}`),

  events: async (contactId: number) => listOf<ExternalEvent>(await request<unknown>('GET', `/api/v1/events?contact_id=${contactId}`), 'events'),
}

/**
 * listOf reads a list answer: a bare array, null for none, or the array
 * under key ({"rules": [...]}), as the older endpoints answer.
 */
export function listOf<T>(data: unknown, key: string): T[] {
  if (Array.isArray(data)) return data as T[]
  const v = (data as Record<string, unknown> | null)?.[key]
  return Array.isArray(v) ? (v as T[]) : []
}

/** KbArticleInput is what an editor sends to create or change an article. */
export type KbArticleInput = Pick<KbArticle, 'category_id' | 'language' | 'title' | 'summary' | 'keywords' | 'body' | 'status'>
