import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick, reactive } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import {
  actionProblems, draftOf, moveItem, newAction, parseActions, ruleInput, serialiseActions, setActionType, type ActionItem,
} from '../automation'
import AdminRules from '../components/admin/AdminRules.vue'
import ActionList from '../components/admin/rules/ActionList.vue'
import { useDesk } from '../stores/desk'
import type { Channel, Rule, Team } from '../types'
import { json, schema } from './automation-fixtures'

describe('rule actions', () => {
  it('starts a new action with every parameter at its default', () => {
    expect(newAction(schema, 'set_priority').params).toEqual({ priority: 'low' })
    expect(newAction(schema, 'send_template').params).toEqual({ template: '', channel_ids: [], send_hours: '' })
    expect(newAction(schema).type).toBe('set_priority')
  })

  it('fills in parameters the server left out because they were empty', () => {
    expect(parseActions([{ type: 'set_team' }, { type: 'send_template', template: 'x' }], schema).map((a) => a.params)).toEqual([
      { team_id: 0 }, { template: 'x', channel_ids: [], send_hours: '' },
    ])
  })

  it('reads stored actions and writes them back with parameters beside the type', () => {
    const stored = [{ type: 'set_team', team_id: 2 }, { type: 'set_priority', priority: 'high' }]
    const items = parseActions(stored)
    expect(items.map((a) => a.params)).toEqual([{ team_id: 2 }, { priority: 'high' }])
    expect(serialiseActions(items, schema)).toEqual(stored)
    // an action the schema does not know is kept as it was
    expect(serialiseActions(parseActions([{ type: 'future_thing', x: 1 }]), schema)).toEqual([{ type: 'future_thing', x: 1 }])
  })

  it('turns typed tags into a list and selected ids into numbers', () => {
    const items: ActionItem[] = [
      { key: 1, type: 'add_tags', params: { tags: ' refund, vip ,' } },
      { key: 2, type: 'set_team', params: { team_id: '3' } },
      { key: 3, type: 'send_template', params: { template: 'order-delivery', channel_ids: ['4', 2], send_hours: ' 09:00-21:00 ' } },
    ]
    expect(serialiseActions(items, schema)).toEqual([
      { type: 'add_tags', tags: ['refund', 'vip'] },
      { type: 'set_team', team_id: 3 },
      { type: 'send_template', template: 'order-delivery', channel_ids: [4, 2], send_hours: '09:00-21:00' },
    ])
  })

  it('keeps parameters of the same name and type when the action type changes', () => {
    const a = newAction(schema, 'add_tags')
    a.params.tags = 'x'
    setActionType(a, schema, 'set_priority')
    expect(a).toMatchObject({ type: 'set_priority', params: { priority: 'low' } })
    a.params.priority = 'urgent'
    setActionType(a, schema, 'set_priority')
    expect(a.params).toEqual({ priority: 'urgent' })
  })

  it('reports required parameters left empty, not optional ones', () => {
    const items = [newAction(schema, 'set_team'), newAction(schema, 'send_template'), newAction(schema, 'set_priority'), { key: 9, type: 'gone', params: {} }]
    // no team (0), no channels (the ticket's own) and no send hours are allowed
    expect(actionProblems(items, schema)).toEqual(['send_template.template', 'gone'])
    expect(actionProblems([newAction(schema, 'add_tags'), newAction(schema, 'note')], schema)).toEqual(['add_tags.tags', 'note.text'])
  })

  it('moves actions up and down within bounds', () => {
    const list = ['a', 'b', 'c']
    moveItem(list, 0, -1)
    moveItem(list, 2, 1)
    expect(list).toEqual(['a', 'b', 'c'])
    moveItem(list, 0, 1)
    expect(list).toEqual(['b', 'a', 'c'])
    moveItem(list, 2, -1)
    expect(list).toEqual(['b', 'c', 'a'])
  })

  it('builds the body to save or test a rule; the event name only for event rules', () => {
    const d = draftOf(null, schema)
    expect(d).toMatchObject({ trigger: 'ticket.created', enabled: false, actions: [], position: 1 })
    expect(draftOf(null, schema, [{ position: 4 }, { position: 2 }]).position).toBe(5)
    d.name = ' Refunds '
    d.event_name = 'order.placed'
    expect(ruleInput(d, schema)).toEqual({
      name: 'Refunds', description: '', trigger: 'ticket.created', event_name: '', enabled: false, position: 1, conditions: { all: [] }, actions: [],
    })
    d.trigger = 'event'
    expect(ruleInput(d, schema).event_name).toBe('order.placed')
  })
})

describe('the action editor', () => {
  let app: ReturnType<typeof createApp> | null = null
  afterEach(() => {
    app?.unmount()
    app = null
  })
  const teams = [{ id: 2, name: 'Complaints' }, { id: 3, name: 'Billing' }] as Team[]
  const channels = [{ id: 1, name: 'Shop SMS', kind: 'sms' }, { id: 4, name: 'Mail', kind: 'email' }] as Channel[]

  it('edits each parameter by its type and saves the list in order', async () => {
    const items = reactive<ActionItem[]>([])
    const el = document.createElement('div')
    document.body.appendChild(el)
    app = createApp({ render: () => h(ActionList, { items, schema, teams, channels, templates: ['order-delivery'] }) })
    app.mount(el)
    expect(el.textContent).toContain('No actions yet')
    const add = el.querySelector('[data-testid="add-action"]') as HTMLButtonElement
    add.click()
    add.click()
    await nextTick()
    const types = el.querySelectorAll('select[name="action-type"]')
    expect([...(types[0] as HTMLSelectElement).options].map((o) => o.textContent)).toEqual([
      'Set priority', 'Give to team', 'Add tags', 'Send a message template', 'Add an internal note',
    ])
    ;(types[0] as HTMLSelectElement).value = 'set_team'
    types[0].dispatchEvent(new Event('change'))
    ;(types[1] as HTMLSelectElement).value = 'send_template'
    types[1].dispatchEvent(new Event('change'))
    await nextTick()
    const team = el.querySelector('select[name="param-team_id"]') as HTMLSelectElement
    team.value = '2'
    team.dispatchEvent(new Event('change'))
    const tpl = el.querySelector('select[name="param-template"]') as HTMLSelectElement
    tpl.value = 'order-delivery'
    tpl.dispatchEvent(new Event('change'))
    const sms = el.querySelector('input[name="param-channel_ids"][value="1"]') as HTMLInputElement
    sms.click()
    await nextTick()
    expect(serialiseActions(items, schema)).toEqual([
      { type: 'set_team', team_id: 2 },
      { type: 'send_template', template: 'order-delivery', channel_ids: [1], send_hours: '' },
    ])
    // the second moves up; the first is removed
    ;(el.querySelectorAll('button[aria-label="Move up"]')[1] as HTMLButtonElement).click()
    await nextTick()
    expect(items.map((a) => a.type)).toEqual(['send_template', 'set_team'])
    ;(el.querySelectorAll('button[aria-label="Remove action"]')[1] as HTMLButtonElement).click()
    await nextTick()
    expect(items.map((a) => a.type)).toEqual(['send_template'])
  })
})

describe('the rules section', () => {
  let app: ReturnType<typeof createApp> | null = null
  afterEach(() => {
    app?.unmount()
    app = null
    vi.unstubAllGlobals()
  })
  const rule: Rule = {
    id: 1, name: 'Complaints to the complaints team', description: '', trigger: 'message.received', event_name: '', enabled: true, version: 3,
    conditions: { any: [{ field: 'message.text', op: 'contains_word', value: ['complaint', 'klacht'] }] },
    actions: [{ type: 'set_team', team_id: 2 }, { type: 'set_priority', priority: 'high' }],
    builtin: 'complaints', updated_at: 1765100000000, updated_by: 'Admin',
  }

  it('creates a rule, tries it on a ticket and saves it', async () => {
    const calls: { method: string; url: string; body?: any }[] = []
    let saved: Rule | null = null
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      const method = init?.method ?? 'GET'
      const body = init?.body ? JSON.parse(String(init.body)) : undefined
      calls.push({ method, url, body })
      if (url === '/api/v1/rules/schema') return json(schema)
      if (url === '/api/v1/rules' && method === 'GET') return json(saved ? [rule, saved] : [rule])
      if (url === '/api/v1/templates') return json([])
      if (url === '/api/v1/rules/test') {
        return json({
          matched: true,
          conditions: [{ field: 'message.text', op: 'contains', value: 'refund', actual: 'I want a refund', ok: true }],
          actions: [{ type: 'set_priority', description: 'priority → high', preview: '', error: '' }, { type: 'add_tags', description: 'tags + refund', preview: '', error: '' }],
        })
      }
      if (url === '/api/v1/rules' && method === 'POST') {
        saved = { ...body, id: 2, version: 1 }
        return json(saved)
      }
      return json({ error: { code: 'not_found', message: 'no' } }, 404)
    }))
    const pinia = createPinia()
    setActivePinia(pinia)
    const desk = useDesk()
    desk.agents = [{ id: 1, name: 'Admin' }] as typeof desk.agents
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
    const el = document.createElement('div')
    document.body.appendChild(el)
    app = createApp({ render: () => h(AdminRules) })
    app.use(pinia).use(router).mount(el)
    await vi.waitFor(() => expect(el.querySelector('tr[data-rule="1"]')).not.toBeNull())
    const row = el.querySelector('tr[data-rule="1"]')!
    expect(row.textContent).toContain('Complaints to the complaints team')
    expect(row.textContent).toContain('built in')
    expect(row.textContent).toContain('Message received')
    expect(row.textContent).toContain('1 conditions · 2 actions')
    expect(row.textContent).toContain('v3')

    ;[...el.querySelectorAll('button')].find((b) => b.textContent?.includes('New rule'))!.click()
    await nextTick()
    const name = el.querySelector('input[name="rule-name"]') as HTMLInputElement
    name.value = 'Refunds'
    name.dispatchEvent(new Event('input'))
    ;(el.querySelector('[data-testid="add-condition"]') as HTMLButtonElement).click()
    await nextTick()
    const op = el.querySelector('select[name="cond-op"]') as HTMLSelectElement
    op.value = 'contains'
    op.dispatchEvent(new Event('change'))
    const value = el.querySelector('input[name="cond-value"]') as HTMLInputElement
    value.value = 'refund'
    value.dispatchEvent(new Event('input'))
    const add = el.querySelector('[data-testid="add-action"]') as HTMLButtonElement
    add.click()
    add.click()
    await nextTick()
    const prio = el.querySelector('select[name="param-priority"]') as HTMLSelectElement
    prio.value = 'high'
    prio.dispatchEvent(new Event('change'))
    const second = el.querySelectorAll('select[name="action-type"]')[1] as HTMLSelectElement
    second.value = 'add_tags'
    second.dispatchEvent(new Event('change'))
    await nextTick()
    const tags = el.querySelector('input[name="param-tags"]') as HTMLInputElement
    tags.value = 'refund'
    tags.dispatchEvent(new Event('input'))

    const ticket = el.querySelector('input[name="test-ticket"]') as HTMLInputElement
    ticket.value = '10004'
    ticket.dispatchEvent(new Event('input'))
    await nextTick()
    ;[...el.querySelectorAll('.rule-test button')].find((b) => b.textContent === 'Try')!.dispatchEvent(new MouseEvent('click'))
    await vi.waitFor(() => expect(el.querySelector('[data-testid="test-result"]')).not.toBeNull())
    const result = el.querySelector('[data-testid="test-result"]')!
    expect(result.textContent).toContain('Matches: these actions would run')
    expect(result.textContent).toContain('actual: I want a refund')
    expect(result.textContent).toContain('tags + refund')
    const tested = calls.find((c) => c.url === '/api/v1/rules/test')!
    const expected = {
      name: 'Refunds', description: '', trigger: 'ticket.created', event_name: '', enabled: false, position: 1,
      conditions: { all: [{ field: 'message.text', op: 'contains', value: 'refund' }] },
      actions: [{ type: 'set_priority', priority: 'high' }, { type: 'add_tags', tags: ['refund'] }],
    }
    expect(tested.body).toEqual({ rule: expected, ticket_number: 10004 })

    ;(el.querySelector('.rule-editor button[type="submit"]') as HTMLButtonElement).click()
    await vi.waitFor(() => expect(el.querySelector('tr[data-rule="2"]')).not.toBeNull())
    expect(calls.find((c) => c.url === '/api/v1/rules' && c.method === 'POST')!.body).toEqual(expected)
  })

  it('does not save a rule with an empty condition', async () => {
    const posts: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      if (init?.method === 'POST' || init?.method === 'PUT') posts.push(url)
      if (url === '/api/v1/rules/schema') return json(schema)
      if (url === '/api/v1/rules') return json([])
      return json([])
    }))
    const pinia = createPinia()
    setActivePinia(pinia)
    useDesk().agents = [{ id: 1, name: 'Admin' }] as ReturnType<typeof useDesk>['agents']
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
    const el = document.createElement('div')
    document.body.appendChild(el)
    app = createApp({ render: () => h(AdminRules) })
    app.use(pinia).use(router).mount(el)
    const newRule = () => [...el.querySelectorAll('button')].find((b) => b.textContent?.includes('New rule'))!
    await vi.waitFor(() => expect(newRule().disabled).toBe(false))
    expect(el.textContent).toContain('No rules yet.')
    newRule().click()
    await nextTick()
    const name = el.querySelector('input[name="rule-name"]') as HTMLInputElement
    name.value = 'Empty'
    name.dispatchEvent(new Event('input'))
    ;(el.querySelector('[data-testid="add-condition"]') as HTMLButtonElement).click()
    await nextTick()
    ;(el.querySelector('.rule-editor') as HTMLFormElement).dispatchEvent(new Event('submit'))
    await nextTick()
    expect(el.querySelector('.rule-editor [role="alert"]')!.textContent).toContain('Complete every condition and action first.')
    expect(posts).toEqual([])
  })

  it('lists the recent runs of a rule and loads an earlier version into the editor', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url === '/api/v1/rules/schema') return json(schema)
      if (url === '/api/v1/rules') return json([rule])
      if (url === '/api/v1/rules/1/runs?limit=50') {
        return json([{ id: 9, rule_id: 1, version: 3, ticket_id: 4, ticket_number: 10004, trigger: 'message.received', actions: ['team → Complaints', 'priority → high'], error: '', created_at: 1 }])
      }
      if (url === '/api/v1/rules/1/versions') {
        return json([
          { version: 2, name: 'Complaints', conditions: { all: [{ field: 'message.text', op: 'contains', value: 'klacht' }] }, actions: [{ type: 'set_priority', priority: 'urgent' }], created_at: 1, created_by: 'Admin' },
          { version: 3, name: rule.name, conditions: rule.conditions, actions: rule.actions, created_at: 2, created_by: 'Admin' },
        ])
      }
      return json([])
    }))
    const pinia = createPinia()
    setActivePinia(pinia)
    useDesk().agents = [{ id: 1, name: 'Admin' }] as ReturnType<typeof useDesk>['agents']
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
    await router.push('/admin/rules?rule=1')
    const el = document.createElement('div')
    document.body.appendChild(el)
    app = createApp({ render: () => h(AdminRules) })
    app.use(pinia).use(router).mount(el)
    // the link from a ticket's timeline opens the rule
    await vi.waitFor(() => expect((el.querySelector('input[name="rule-name"]') as HTMLInputElement | null)?.value).toBe(rule.name))
    const [runs, versions] = [...el.querySelectorAll('.rule-editor details')] as HTMLDetailsElement[]
    runs.open = true
    runs.dispatchEvent(new Event('toggle'))
    await vi.waitFor(() => expect(runs.querySelector('tbody tr')).not.toBeNull())
    expect(runs.querySelector('tbody tr')!.textContent).toContain('#10004')
    expect(runs.querySelector('tbody tr')!.textContent).toContain('team → Complaints; priority → high')
    expect(runs.querySelector('a')!.getAttribute('href')).toBe('/tickets/4')
    versions.open = true
    versions.dispatchEvent(new Event('toggle'))
    await vi.waitFor(() => expect(versions.querySelectorAll('li').length).toBe(2))
    // the current version has nothing to load
    expect(versions.querySelectorAll('li')[0].textContent).toContain('v3')
    expect(versions.querySelectorAll('li')[0].querySelector('button')).toBeNull()
    ;(versions.querySelectorAll('li')[1].querySelector('button') as HTMLButtonElement).click()
    await nextTick()
    expect((el.querySelector('input[name="rule-name"]') as HTMLInputElement).value).toBe('Complaints')
    expect((el.querySelector('input[name="cond-value"]') as HTMLInputElement).value).toBe('klacht')
    expect((el.querySelector('select[name="param-priority"]') as HTMLSelectElement).value).toBe('urgent')
  })
})
