import { afterEach, describe, expect, it } from 'vitest'
import { createApp, h, nextTick, reactive } from 'vue'
import { actionProblems, newAction, parseActions, serialiseActions, type ActionItem } from '../automation'
import ActionList from '../components/admin/rules/ActionList.vue'
import type { RuleSchema } from '../types'

const schema: RuleSchema = {
  triggers: [{ name: 'event', label: 'External event' }],
  fields: [],
  ops: [],
  actions: [
    {
      type: 'send_template',
      params: [
        { name: 'template', type: 'template' }, { name: 'channel_ids', type: 'channels' }, { name: 'send_hours', type: 'hours' },
        { name: 'provider_template', type: 'provider_template' }, { name: 'approval', type: 'bool' },
      ],
    },
    { type: 'reply', params: [{ name: 'text', type: 'text' }, { name: 'approval', type: 'bool' }] },
    { type: 'start_bot', params: [] },
  ],
}

describe('a provider template in a send_template action', () => {
  it('starts with none, which is stored as null and is no problem', () => {
    const a = newAction(schema, 'send_template')
    expect(a.params.provider_template).toBeNull()
    expect(serialiseActions([{ ...a, params: { ...a.params, template: 'order-delivery' } }], schema)[0].provider_template).toBeNull()
    expect(actionProblems([{ ...a, params: { ...a.params, template: 'order-delivery' } }], schema)).toEqual([])
  })

  it('is stored with its name, language and parameters, trimmed, keeping empty places but not trailing ones', () => {
    const items: ActionItem[] = [{
      key: 1, type: 'send_template',
      params: { template: 'x', provider_template: { name: ' order_update ', language: 'nl ', params: ['{{.order.number}}', '', ' {{.contact.name}} ', '', ''] } },
    }]
    expect(serialiseActions(items, schema)[0].provider_template).toEqual({
      name: 'order_update', language: 'nl', params: ['{{.order.number}}', '', '{{.contact.name}}'],
    })
  })

  it('reads a stored one back unchanged', () => {
    const stored = { type: 'send_template', template: 'x', channel_ids: [], send_hours: '', approval: true,
      provider_template: { name: 'order_update', language: 'nl', params: ['{{.order.number}}'] } }
    expect(serialiseActions(parseActions([stored], schema), schema)).toEqual([stored])
  })

  it('needs both a name and a language once one is chosen', () => {
    const a: ActionItem = { key: 1, type: 'send_template', params: { template: 'x', provider_template: { name: 'order_update', language: '', params: [] } } }
    expect(actionProblems([a], schema)).toEqual(['send_template.provider_template'])
  })
})

describe('ActionList editing a provider template, approval and start_bot', () => {
  let app: ReturnType<typeof createApp> | null = null
  afterEach(() => {
    app?.unmount()
    app = null
  })
  function mount(items: ActionItem[]) {
    const el = document.createElement('div')
    document.body.appendChild(el)
    app = createApp({ render: () => h(ActionList, { items, schema, templates: ['x'] }) })
    app.mount(el)
    return el
  }
  const type = async (el: Element, name: string, value: string) => {
    const input = el.querySelector<HTMLInputElement>(`[name="${name}"]`)!
    input.value = value
    input.dispatchEvent(new Event('input'))
    await nextTick()
  }

  it('edits the name, language and numbered parameters, and serialises them', async () => {
    const items = reactive([newAction(schema, 'send_template')]) as ActionItem[]
    items[0].params.template = 'x'
    const el = mount(items)
    await type(el, 'provider-template-name', 'order_update')
    await type(el, 'provider-template-language', 'nl')
    el.querySelector<HTMLButtonElement>('[data-testid="add-provider-param"]')!.click()
    await nextTick()
    el.querySelector<HTMLButtonElement>('[data-testid="add-provider-param"]')!.click()
    await nextTick()
    await type(el, 'provider-template-param-1', '{{.order.number}}')
    await type(el, 'provider-template-param-2', '{{.order.delivery_date}}')
    expect(el.textContent).toContain('Parameter 2')
    const approval = el.querySelector<HTMLInputElement>('input[name="param-approval"]')!
    approval.click()
    await nextTick()
    expect(serialiseActions(items, schema)[0]).toMatchObject({
      approval: true,
      provider_template: { name: 'order_update', language: 'nl', params: ['{{.order.number}}', '{{.order.delivery_date}}'] },
    })
    el.querySelector<HTMLButtonElement>('button[aria-label="Remove parameter 1"]')!.click()
    await nextTick()
    expect(serialiseActions(items, schema)[0].provider_template).toEqual({ name: 'order_update', language: 'nl', params: ['{{.order.delivery_date}}'] })
  })

  it('offers start_bot, which has nothing to fill in', async () => {
    const items = reactive([newAction(schema, 'start_bot')]) as ActionItem[]
    const el = mount(items)
    expect(el.querySelector('select[name="action-type"]')!.textContent).toContain('Hand the ticket to the bot')
    expect(el.querySelectorAll('[data-testid="action"] input, [data-testid="action"] textarea')).toHaveLength(0)
    expect(serialiseActions(items, schema)).toEqual([{ type: 'start_bot' }])
    expect(actionProblems(items, schema)).toEqual([])
  })
})
