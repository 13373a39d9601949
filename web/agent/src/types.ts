// Shapes of the Loket API (see /api/v1/openapi.json). Times are Unix milliseconds.

export type Role = 'admin' | 'supervisor' | 'agent'
export type Lang = 'en' | 'nl' | 'de'
export type TicketStatus = 'new' | 'open' | 'pending' | 'on_hold' | 'solved' | 'closed'
export type Priority = 'low' | 'normal' | 'high' | 'urgent'
export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed'
export type MessageKind = 'message' | 'note' | 'call' | 'letter' | 'visit' | 'event'

export const STATUSES: TicketStatus[] = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed']
export const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'urgent']

export interface Agent {
  id: number
  email: string
  name: string
  role: Role
  language: Lang
  disabled: boolean
  team_ids: number[] | null
  created_at: number
}

export interface Team {
  id: number
  name: string
  agent_ids: number[] | null
  created_at: number
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
  status?: string
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
  attributes: Record<string, unknown>
  verified: boolean
  merged_into?: number
  identities: Identity[]
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

export interface StreamEvent {
  type: 'hello' | 'ticket.created' | 'ticket.updated' | 'message.created' | 'message.updated'
  time?: number
  ticket_id?: number
  message_id?: number
  team_id?: number
  assignee_id?: number
  ticket?: Ticket
  message?: Message
}

export interface TicketPatch {
  status?: TicketStatus
  priority?: Priority
  assignee_id?: number
  team_id?: number
  tags?: string[]
  subject?: string
}
