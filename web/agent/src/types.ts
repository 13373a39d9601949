// Shapes of the Loket API (see /api/v1/openapi.json). Times are Unix milliseconds.

export type Role = 'admin' | 'supervisor' | 'agent'
export type Lang = 'en' | 'nl' | 'de'
export type TicketStatus = 'new' | 'open' | 'pending' | 'on_hold' | 'solved' | 'closed'
export type Priority = 'low' | 'normal' | 'high' | 'urgent'
export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'scheduled' | 'cancelled' | 'awaiting_approval' | 'returned'
export type MessageKind = 'message' | 'note' | 'call' | 'letter' | 'visit' | 'event'

export const STATUSES: TicketStatus[] = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed']
export const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'urgent']

export type Presence = 'online' | 'away' | 'offline'
export const PRESENCES: Presence[] = ['online', 'away', 'offline']
export type RoutingMode = 'manual' | 'round_robin' | 'most_free'
export const ROUTING_MODES: RoutingMode[] = ['manual', 'round_robin', 'most_free']

/** Capacity is a budget of concurrent work in units and the cost of one item per channel kind. */
export interface Capacity {
  budget: number
  costs: Record<string, number>
  other: number
}

export interface Agent {
  id: number
  email: string
  name: string
  role: Role
  language: Lang
  disabled: boolean
  team_ids: number[] | null
  created_at: number
  presence?: Presence
  presence_at?: number
  skills?: string[] | null
  capacity?: Capacity | null
  /** The extension or number the telephone system rings the agent at. */
  phone?: string
  /** Signs in with a code from an authenticator app after the password. */
  two_factor?: boolean
}

/** One signed-in browser of an agent. */
export interface AgentSession {
  id: string
  agent_id: number
  created_at: number
  seen_at: number
  expires_at: number
  ip: string
  user_agent: string
  current: boolean
}

/** A new authenticator secret, shown while setting up two-factor sign-in. */
export interface TwoFactorEnrolment {
  secret: string
  uri: string
  /** data:image/png;base64,… of the QR code of uri */
  qr_png: string
}

/** Failed sign-ins to the account since its last successful one. */
export interface SignInFailures {
  count: number
  last_at: number
  last_from: string
}

export interface Team {
  id: number
  name: string
  agent_ids: number[] | null
  created_at: number
  mode?: RoutingMode
  capacity?: Capacity | null
  reassign_after_seconds?: number
}

export interface QueueRow {
  team_id: number
  kind: string
  waiting: number
  longest_wait_ms: number
  estimated_wait_ms: number
}

export interface AgentLoad {
  agent_id: number
  presence: Presence
  since?: number
  load: number
  budget: number
  items: number
  reserving: boolean
  /** On a call or in its wrap-up until then (ms); while the call lasts, 4 hours after the answer. */
  on_call_until?: number
}

export interface QueueView {
  queues: QueueRow[] | null
  agents: AgentLoad[] | null
  estimates?: { team_id: number; kind: string; wait_ms: number; staffed: boolean }[] | null
  at?: number
}

export interface ConnectionCheck {
  name: string
  ok: boolean
  detail: string
}

export type ArticleStatus = 'draft' | 'published'

export interface KbCategory {
  id: number
  parent_id: number
  position: number
  slug: string
  names: Partial<Record<Lang, string>>
}

export interface KbArticle {
  id: number
  category_id: number
  language: Lang
  title: string
  summary: string
  keywords: string[] | null
  body?: string
  status: ArticleStatus
  slug: string
  url: string
  created_at: number
  updated_at: number
  published_at?: number
}

export interface KbHit {
  article: KbArticle
  score: number
  snippet: string
}

export interface Channel {
  id: number
  kind: string
  name: string
  settings: Record<string, unknown>
  team_id?: number
  enabled: boolean
  created_at: number
  updated_at: number
  secrets_set: string[]
  inbound_token?: string
  /** Health: the last error, empty while healthy; status_at is when it was recorded. */
  status?: string
  status_at?: number
  /** When the channel last received a message (0: never). */
  last_inbound_at?: number
  /** Where the provider posts to (empty: the kind needs none or no base URL is set). */
  webhook_url?: string
  /** What the channel can carry (its kind's capabilities). */
  capabilities?: Capabilities
  /** Public replies: "" needs approval, "off" goes out at once. */
  approval?: '' | 'off'
  /** Who approves public replies; empty: supervisors and admins. */
  approvers?: number[] | null
  /** The team's guide to the tone of public replies. */
  tone_guide_url?: string
}

/** A message template approved at the provider; body holds {{1}}, {{2}} … for its params. */
export interface Template {
  name: string
  language: string
  body: string
  params: number
  category?: string
  status?: string
}

/** TemplateRef names a template and its filled-in parameters for a send. */
export interface TemplateRef {
  name: string
  language: string
  params: string[]
}

/** Capabilities say what a channel can carry; the composer offers only that. */
export interface Capabilities {
  buttons?: boolean
  templates?: boolean
  send_window_seconds?: number
  read_receipts?: boolean
  typing?: boolean
  public?: boolean
  max_length?: number
  attachments?: boolean
  html?: boolean
  subject?: boolean
  copies?: boolean
  /** Text is counted in SMS segments (GSM-7 or UCS-2). */
  segments?: boolean
  /** Replies are prepared (a printed letter) and an agent confirms they went out. */
  manual?: boolean
  /** Kinds of address the channel reaches; empty or missing: any. */
  identities?: string[] | null
  /** The channel carries telephone calls, not messages: never a reply channel. */
  no_replies?: boolean
  /** The channel can answer a public post privately (take it private opens a private ticket). */
  private_replies?: boolean
  /** What an agent may do to a customer's public post on the site. */
  moderation?: Moderation[] | null
}

/** Moderation is what can be done to a customer's public post on the site. */
export type Moderation = 'hide' | 'unhide' | 'delete'

/**
 * PublicPost is what a customer's public message (a comment, a mention, a
 * review) says about its place on the site.
 */
export interface PublicPost {
  /** Where it can be seen on the site. */
  url?: string
  /** The author's public profile. */
  author_url?: string
  /** 1-5 stars, for reviews. */
  rating?: number
  /** The post it is under. */
  post_id?: string
  post_text?: string
  post_url?: string
  hidden?: boolean
  deleted?: boolean
}

/** The kinds of personal data the public-reply check looks for. */
export type FindingKind = 'email' | 'phone' | 'customer_number' | 'ticket_number' | 'order_number' | 'iban'

/** PublicCheck is the server's check of a reply before it goes out in public. */
export interface PublicCheck {
  /** The reply would be public: the ticket is public and the channel is the ticket's own. */
  public: boolean
  /** The reply waits for approval (the channel's approval is on). */
  approval: boolean
  findings: { kind: FindingKind; text: string }[] | null
  length: number
  max_length: number
  tone_guide_url?: string
}

/** TakePrivateResult is what taking a public conversation private made. */
export interface TakePrivateResult {
  public_message: Message
  /** The new private ticket; null when the channel cannot answer privately. */
  ticket: Ticket | null
  /** Where the customer identifies, when no private ticket could be opened. */
  identify_url: string
}

export interface Identity {
  kind: string
  value: string
}

export interface Contact {
  id: number
  number: string
  name: string
  language: string
  /** Postal address, one line per line: where letters go. */
  address?: string
  attributes: Record<string, unknown>
  verified: boolean
  merged_into?: number
  identities: Identity[]
  /** Channel kinds the contact opted out of (e.g. SMS STOP). */
  opt_outs?: string[] | null
  created_at: number
  updated_at: number
}

export interface ContactDetail extends Contact {
  tickets: Ticket[]
}

export interface Ticket {
  id: number
  number: number
  contact_id: number
  subject: string
  status: TicketStatus
  priority: Priority
  team_id?: number
  assignee_id?: number
  channel_id?: number
  follow_up_of?: number
  tags: string[]
  first_customer_at?: number
  first_response_at?: number
  last_customer_at?: number
  solved_at?: number
  created_at: number
  updated_at: number
  last_agent_at?: number
  sla_policy?: string
  first_response_due?: number
  next_response_due?: number
  resolution_due?: number
  sla_due?: number
  sla_breached?: boolean
  skills?: string[] | null
  bot_state?: '' | 'active' | 'handed_over' | 'resolved'
  csat_score?: number
  csat_comment?: string
  csat_at?: number
  /** A public conversation (comments, mentions, reviews): replies are seen by anyone. */
  public?: boolean
  /** In lists only: the customer's name (or number) and the start of the newest message. */
  requester?: string
  last_message?: string
}

export interface Attachment {
  id: number
  message_id: number
  filename: string
  content_type: string
  size: number
  inline?: boolean
}

export interface Message {
  id: number
  ticket_id: number
  channel_id?: number
  kind: MessageKind
  direction?: 'in' | 'out'
  author_type: 'contact' | 'agent' | 'bot' | 'system'
  author_id?: number
  address?: Identity
  subject?: string
  text: string
  html?: string
  delivery_status?: DeliveryStatus
  delivery_error?: string
  /** When a scheduled reply goes out (delivery_status "scheduled"). */
  send_at?: number
  has_raw?: boolean
  /** A customer's public post: where it is on the site. */
  public?: PublicPost
  meta?: Record<string, unknown>
  attachments: Attachment[]
  created_at: number
  updated_at: number
}

export interface TicketDetail extends Ticket {
  contact: Contact
  messages: Message[]
}

export interface TicketPage {
  tickets: Ticket[]
  next?: string
}

export interface SearchResult {
  exact?: { kind: 'ticket' | 'contact'; id: number }
  tickets: Ticket[]
  contacts: Contact[]
}

export type StreamEventType =
  | 'hello' | 'resync' | 'ticket.created' | 'ticket.updated' | 'message.created' | 'message.updated'
  | 'sla.warning' | 'sla.breached' | 'ticket.viewing' | 'ticket.typing' | 'ticket.left' | 'ticket.contact_typing'
  | 'agent.mentioned' | 'agent.presence' | 'agent.updated' | 'team.updated' | 'webhook.disabled'
  | 'call.updated'

export interface StreamEvent {
  type: StreamEventType
  agent?: { id: number; name: string }
  time?: number
  ticket_id?: number
  message_id?: number
  team_id?: number
  assignee_id?: number
  ticket?: Ticket
  message?: Message
  presence?: Presence
  /** webhook.disabled (to admins only): the webhook Loket turned off after repeated failures. */
  webhook?: Pick<Webhook, 'id' | 'url' | 'disabled_reason'>
  /** call.updated: the call as it is now. */
  call?: Call
}

export type CallState = 'requested' | 'dialing' | 'ringing' | 'answered' | 'ended'
export type CallCause = 'normal' | 'no_answer' | 'busy' | 'cancelled' | 'forwarded' | 'failed' | 'rejected' | 'called_back'

/** Call is a telephone call or a callback request: the meta of a call entry (kind "call"). */
export interface Call {
  message_id: number
  ticket_id: number
  channel_id: number
  contact_id?: number
  call_id: string
  direction: 'in' | 'out'
  /** The customer's number (E.164); absent when the caller withheld it. */
  customer?: string
  /** Our side: the number called, or the agent's extension. */
  line?: string
  state: CallState
  cause?: CallCause
  /** The agent who answered or placed the call. */
  agent_id?: number
  /** The agents whose phones rang. */
  ringing?: number[] | null
  missed?: boolean
  callback_at?: number
  note?: string
  recording_url?: string
  voicemail_url?: string
  started_at: number
  answered_at?: number
  ended_at?: number
  busy_until?: number
  /** When an agent called from the ticket after this missed call. */
  called_back_at?: number
  /** In the call log: who called or was called, and the ticket's number. */
  contact_name?: string
  ticket_number?: number
}

/** CallDetail is a call with its caller and the caller's tickets, newest first. */
export interface CallDetail {
  call: Call
  contact: Contact | null
  tickets: Ticket[] | null
}

export interface TicketPatch {
  status?: TicketStatus
  priority?: Priority
  assignee_id?: number
  team_id?: number
  tags?: string[]
  subject?: string
}

export interface CannedResponse {
  id: number
  title: string
  text: string
}

export interface OpeningRange {
  start: string
  end: string
}

export interface Holiday {
  date: string
  yearly?: boolean
  name?: string
}

export interface CalendarConfig {
  time_zone: string
  hours: Record<string, OpeningRange[]>
  holidays?: Holiday[]
}

export interface Calendar {
  id: number
  name: string
  config: CalendarConfig
  created_at?: number
  updated_at?: number
}

export interface SLATargets {
  first_response?: number
  next_response?: number
  resolution?: number
}

export interface SLAConditions {
  channel_kinds?: string[]
  channel_ids?: number[]
  team_ids?: number[]
  priorities?: string[]
  tags?: string[]
  attribute?: { key: string; value: string }
}

export interface SLAPolicy {
  id?: number
  name: string
  position?: number
  enabled?: boolean
  conditions?: SLAConditions
  targets: Record<string, SLATargets>
  calendar_id?: number
  warn_percent?: number
}

export interface OutgoingAttachment {
  filename: string
  content_type: string
  data: string
}

export interface MessageOptions {
  note?: boolean
  channel_id?: number
  to?: Identity
  cc?: string[]
  attachments?: OutgoingAttachment[]
  template?: TemplateRef
  /** Send the reply later, at this instant (Unix ms). */
  send_at?: number
  /** Hold the reply until a supervisor approves it. */
  approval?: boolean
  /** The agent went through the public-reply checklist (personal data found and confirmed). */
  checked?: boolean
}

// Automation: rules, message templates, outgoing webhooks, external events.

/** A condition tree node: a group ({"all": [...]} or {"any": [...]}) or a leaf. */
export type ConditionJSON = { all: ConditionJSON[] } | { any: ConditionJSON[] } | ConditionLeafJSON
export interface ConditionLeafJSON {
  field: string
  op: string
  value?: unknown
}

/** An action as stored: its type and its parameters side by side ({"type": "set_team", "team_id": 2}). */
export type ActionJSON = { type: string } & Record<string, unknown>

export interface Rule {
  id: number
  name: string
  description: string
  trigger: string
  event_name: string
  enabled: boolean
  version: number
  /** Rules on one trigger run in this order, lowest first. */
  position?: number
  conditions: ConditionJSON | null
  actions: ActionJSON[] | null
  builtin?: string
  updated_at?: number
  updated_by?: string
}

/** RuleInput is what the editor sends to create, change or test a rule. */
export type RuleInput = Omit<Rule, 'id' | 'version' | 'updated_at' | 'updated_by' | 'builtin'> & { id?: number }

export interface RuleVersion {
  version: number
  name: string
  description?: string
  trigger?: string
  event_name?: string
  enabled?: boolean
  conditions: ConditionJSON | null
  actions: ActionJSON[] | null
  created_at: number
  created_by: string
}

export interface RuleRun {
  id: number
  rule_id: number
  version: number
  ticket_id: number
  ticket_number: number
  trigger: string
  actions: string[] | null
  error: string
  created_at: number
}

export interface SchemaTrigger {
  name: string
  label?: string
}
export interface SchemaField {
  name: string
  type: string
  values?: string[] | null
  label?: string
}
export interface SchemaOp {
  name: string
  types: string[]
  label?: string
  /** What the value is: one value, a list, or none (is empty). Guessed from the name when missing. */
  value?: 'single' | 'list' | 'none'
}
export interface SchemaParam {
  name: string
  type: string
  values?: string[] | null
  label?: string
  optional?: boolean
}
export interface SchemaAction {
  type: string
  label?: string
  params: SchemaParam[] | null
}
export interface RuleSchema {
  triggers: SchemaTrigger[]
  fields: SchemaField[]
  ops: SchemaOp[]
  actions: SchemaAction[]
  /** Example paths of facts the field list leaves out, by where they come from ({"event.data": ["order.number"]}). */
  examples?: Record<string, string[]> | null
  note?: string
}

export interface RuleTestCondition {
  field: string
  op: string
  value?: unknown
  actual?: unknown
  ok: boolean
}
export interface RuleTestAction {
  type: string
  description: string
  preview: string
  error: string
}
export interface RuleTestResult {
  matched: boolean
  conditions: RuleTestCondition[] | null
  actions: RuleTestAction[] | null
}

export interface MessageTemplate {
  id: number
  name: string
  language: string
  subject: string
  body: string
  updated_at?: number
}

export interface TemplatePreviewInput {
  subject: string
  body: string
  language: string
  ticket_number?: number
  contact_id?: number
  event_id?: number
  data?: Record<string, unknown>
}

export type WebhookDeliveryState = 'delivered' | 'pending' | 'failed'

export interface Webhook {
  id: number
  url: string
  events: string[] | null
  active: boolean
  disabled_reason: string
  failures: number
  created_at: number
  /** Only in the answer that created the webhook. */
  secret?: string
}

export interface WebhookDelivery {
  id: number
  webhook_id?: number
  /** The delivery an admin sent again; a redelivery is a delivery of its own. */
  redelivery_of?: number
  event_type: string
  /** What was posted (JSON). */
  payload?: unknown
  state: WebhookDeliveryState
  attempts: number
  response_status: number
  response_body: string
  error: string
  created_at: number
  delivered_at?: number
}

/** An event an outside system reported about a contact (an order placed, a parcel sent). */
export interface ExternalEvent {
  id: number
  name: string
  contact_id: number
  data: Record<string, unknown> | null
  source: string
  created_at: number
}

// Campaigns: one message template sent to the contacts a filter chooses.

export interface CampaignFilter {
  statuses?: string[]
  tags?: string[]
  team_id?: number
  contact_ids?: number[]
}

export interface CampaignInput {
  name: string
  /** a message template's name */
  template: string
  channel_ids: number[]
  /** "08:00-21:00", or empty for any time */
  send_hours: string
  filter: CampaignFilter
  rate_per_minute: number
}

export interface Campaign extends CampaignInput {
  id: number
  recipients: number
  /** recipients by state: pending, sent, skipped, failed */
  counts?: Partial<Record<'pending' | 'sent' | 'skipped' | 'failed', number>>
  created_by: string
  created_at: number
}

export interface CampaignRecipient {
  contact_id: number
  ticket_id?: number
  state: string
  message_id?: number
  detail?: string
  updated_at: number
}
