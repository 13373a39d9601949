import type { RuleSchema } from '../types'

// A rule schema as GET /api/v1/rules/schema answers it.
export const schema: RuleSchema = {
  triggers: [
    { name: 'ticket.created', label: 'Ticket created' },
    { name: 'message.received', label: 'Message received' },
    { name: 'event', label: 'External event' },
    { name: 'later.thing', label: 'Something new' },
  ],
  fields: [
    { name: 'message.text', type: 'text' },
    { name: 'ticket.priority', type: 'enum', values: ['low', 'normal', 'high', 'urgent'] },
    { name: 'ticket.channel_kind', type: 'enum', values: ['email', 'sms'] },
    { name: 'contact.attributes.vip', type: 'text' },
    { name: 'event.data.total', type: 'number' },
    { name: 'contact.verified', type: 'bool' },
  ],
  ops: [
    { name: 'eq', types: ['text', 'enum', 'number', 'bool'] },
    { name: 'ne', types: ['text', 'enum', 'number'] },
    { name: 'contains', types: ['text'] },
    { name: 'contains_word', types: ['text'] },
    { name: 'in', types: ['enum', 'text'] },
    { name: 'gt', types: ['number'] },
    { name: 'exists', types: ['text'] },
    { name: 'not_exists', types: ['text'] },
  ],
  examples: { 'event.data': ['order.number', 'order.delivery_date', 'message.text'] },
  actions: [
    { type: 'set_priority', params: [{ name: 'priority', type: 'enum', values: ['low', 'normal', 'high', 'urgent'] }] },
    { type: 'set_team', params: [{ name: 'team_id', type: 'team' }] },
    { type: 'add_tags', params: [{ name: 'tags', type: 'tags' }] },
    { type: 'send_template', params: [{ name: 'template', type: 'template' }, { name: 'channel_ids', type: 'channels' }, { name: 'send_hours', type: 'hours' }] },
    { type: 'note', params: [{ name: 'text', type: 'text' }] },
  ],
}

export const json = (body: unknown, status = 200) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
