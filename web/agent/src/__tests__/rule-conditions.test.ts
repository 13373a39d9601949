import { afterEach, describe, expect, it } from 'vitest'
import { createApp, h, nextTick, reactive } from 'vue'
import {
  addCondition, addGroup, conditionProblems, countConditions, emptyGroup, normaliseValue, parseConditions, removeNode, serialiseConditions,
  setField, setOp, valueKind, type CondGroup, type CondLeaf,
} from '../automation'
import ConditionGroup from '../components/admin/rules/ConditionGroup.vue'
import type { ConditionJSON } from '../types'
import { schema } from './automation-fixtures'

const stored: ConditionJSON = {
  any: [
    { field: 'message.text', op: 'contains_word', value: ['complaint', 'klacht'] },
    { all: [{ field: 'ticket.priority', op: 'eq', value: 'high' }, { field: 'contact.attributes.vip', op: 'eq', value: 'yes' }] },
  ],
}

describe('the condition tree', () => {
  it('reads stored conditions and writes them back unchanged', () => {
    const tree = parseConditions(stored)
    expect(tree.mode).toBe('any')
    expect(tree.children.map((c) => c.kind)).toEqual(['leaf', 'group'])
    expect(countConditions(tree)).toBe(3)
    expect(serialiseConditions(tree, schema)).toEqual(stored)
  })

  it('treats missing and empty conditions as an empty "all" root, which means always', () => {
    for (const c of [null, undefined, { all: [] }]) {
      const tree = parseConditions(c as ConditionJSON | null)
      expect(tree.kind).toBe('group')
      expect(tree.children).toEqual([])
      expect(serialiseConditions(tree, schema)).toEqual({ all: [] })
    }
    expect(serialiseConditions(parseConditions({ any: [] }), schema)).toEqual({ any: [] })
  })

  it('wraps a bare condition in a root group', () => {
    const tree = parseConditions({ field: 'message.text', op: 'contains', value: 'refund' })
    expect(serialiseConditions(tree, schema)).toEqual({ all: [{ field: 'message.text', op: 'contains', value: 'refund' }] })
  })

  it('adds a condition on the first field with its first operator', () => {
    const root = emptyGroup()
    const leaf = addCondition(root, schema)
    expect(leaf).toMatchObject({ field: 'message.text', op: 'eq', value: '' })
    leaf.op = 'contains'
    leaf.value = ' refund '
    expect(serialiseConditions(root, schema)).toEqual({ all: [{ field: 'message.text', op: 'contains', value: 'refund' }] })
  })

  it('nests groups, alternating all and any, each starting with one condition', () => {
    const root = emptyGroup('all')
    const inner = addGroup(root, schema)
    expect(inner.mode).toBe('any')
    const innermost = addGroup(inner, schema)
    expect(innermost.mode).toBe('all')
    expect(serialiseConditions(root, schema)).toEqual({
      all: [{ any: [{ field: 'message.text', op: 'eq', value: '' }, { all: [{ field: 'message.text', op: 'eq', value: '' }] }] }],
    })
  })

  it('removes a condition or a whole group anywhere in the tree, never the root', () => {
    const root = parseConditions(stored)
    const group = root.children[1] as CondGroup
    const vip = group.children[1]
    expect(removeNode(root, vip.key)).toBe(true)
    expect(serialiseConditions(root, schema)).toEqual({
      any: [{ field: 'message.text', op: 'contains_word', value: ['complaint', 'klacht'] }, { all: [{ field: 'ticket.priority', op: 'eq', value: 'high' }] }],
    })
    expect(removeNode(root, group.key)).toBe(true)
    expect(removeNode(root, root.key)).toBe(false)
    expect(removeNode(root, 999_999)).toBe(false)
    expect(countConditions(root)).toBe(1)
  })

  it('keeps the operator and value when the new field has the same type, and resets them when not', () => {
    const leaf: CondLeaf = { key: 1, kind: 'leaf', field: 'message.text', op: 'contains', value: 'refund' }
    setField(leaf, schema, 'contact.attributes.vip')
    expect(leaf).toMatchObject({ op: 'contains', value: 'refund' })
    setField(leaf, schema, 'ticket.priority')
    expect(leaf).toMatchObject({ op: 'eq', value: 'low' })
    setField(leaf, schema, 'event.data.total')
    expect(leaf).toMatchObject({ op: 'eq', value: 0 })
    // another enum with other values starts over on its first value
    setField(leaf, schema, 'ticket.priority')
    setField(leaf, schema, 'ticket.channel_kind')
    expect(leaf.value).toBe('email')
  })

  it('turns the value into a list for list operators and back', () => {
    const leaf: CondLeaf = { key: 1, kind: 'leaf', field: 'message.text', op: 'contains', value: 'refund, money back' }
    setOp(leaf, schema, 'contains_word')
    expect(leaf.value).toEqual(['refund', 'money back'])
    setOp(leaf, schema, 'eq')
    expect(leaf.value).toBe('refund')
    setOp(leaf, schema, 'exists')
    expect(leaf.value).toBeUndefined()
    const root: CondGroup = { key: 2, kind: 'group', mode: 'all', children: [leaf] }
    expect(serialiseConditions(root, schema)).toEqual({ all: [{ field: 'message.text', op: 'exists' }] })
  })

  it('compares yes/no fields with true or false', () => {
    const root = emptyGroup()
    const leaf = addCondition(root, schema)
    setField(leaf, schema, 'contact.verified')
    expect(leaf).toMatchObject({ op: 'eq', value: true })
    leaf.value = 'false'
    expect(serialiseConditions(root, schema)).toEqual({ all: [{ field: 'contact.verified', op: 'eq', value: false }] })
  })

  it('splits a typed list and turns number fields into numbers', () => {
    expect(normaliseValue('complaint, klacht ,, ', 'list')).toEqual(['complaint', 'klacht'])
    expect(normaliseValue('100', 'single', 'number')).toBe(100)
    expect(normaliseValue(['5', '7'], 'list', 'number')).toEqual([5, 7])
    const root = parseConditions({ all: [{ field: 'event.data.total', op: 'gt', value: '250' }] })
    expect(serialiseConditions(root, schema)).toEqual({ all: [{ field: 'event.data.total', op: 'gt', value: 250 }] })
  })

  it('takes the value shape from the schema when it says, else from the operator name', () => {
    expect(valueKind({ name: 'has', types: [], value: 'list' })).toBe('list')
    expect(valueKind(undefined, 'in')).toBe('list')
    expect(valueKind(undefined, 'not_in')).toBe('list')
    expect(valueKind(undefined, 'contains_word')).toBe('list')
    expect(valueKind(undefined, 'contains')).toBe('single')
    expect(valueKind(undefined, 'exists')).toBe('none')
    expect(valueKind(undefined, 'not_exists')).toBe('none')
    expect(valueKind(undefined, 'is_empty')).toBe('none')
    expect(valueKind(undefined, 'changed')).toBe('none')
    expect(valueKind(undefined, 'changed_to')).toBe('single')
  })

  it('reports conditions that cannot be saved', () => {
    const root = parseConditions({
      all: [
        { field: 'message.text', op: 'contains', value: '' },
        { field: 'bad path!', op: 'eq', value: 'x' },
        { field: 'order.total', op: 'eq', value: '10' },
        { field: 'event.data.total', op: 'contains', value: 1 },
        { any: [] },
        { field: 'message.text', op: 'not_exists' },
      ],
    })
    expect(conditionProblems(root, schema)).toEqual(['value:message.text', 'field:bad path!', 'op:event.data.total', 'empty_group'])
    expect(conditionProblems(emptyGroup(), schema)).toEqual([])
  })
})

describe('the condition editor', () => {
  let app: ReturnType<typeof createApp> | null = null
  afterEach(() => {
    app?.unmount()
    app = null
  })
  function mount(group: CondGroup) {
    const el = document.createElement('div')
    document.body.appendChild(el)
    app = createApp({ render: () => h(ConditionGroup, { group, schema }) })
    app.mount(el)
    return el
  }
  const click = (el: Element | null) => (el as HTMLElement).click()

  it('says an empty root always runs, and builds conditions and groups through its buttons', async () => {
    const root = reactive(emptyGroup()) as CondGroup
    const el = mount(root)
    expect(el.textContent).toContain('No conditions: the rule runs every time.')
    click(el.querySelector('[data-testid="add-condition"]'))
    await nextTick()
    const input = el.querySelector('input[name="cond-value"]') as HTMLInputElement
    input.value = 'refund'
    input.dispatchEvent(new Event('input'))
    const op = el.querySelector('select[name="cond-op"]') as HTMLSelectElement
    expect([...op.options].map((o) => o.textContent)).toEqual(['is', 'is not', 'contains', 'contains a word of', 'is one of', 'is set', 'is not set'])
    op.value = 'contains'
    op.dispatchEvent(new Event('change'))
    click(el.querySelector('[data-testid="add-group"]'))
    await nextTick()
    // the nested group's own field becomes the priority
    const fields = el.querySelectorAll('select[name="cond-field"]')
    expect(fields.length).toBe(2)
    const nested = fields[1] as HTMLSelectElement
    nested.value = 'ticket.priority'
    nested.dispatchEvent(new Event('change'))
    await nextTick()
    const prio = el.querySelectorAll('select[name="cond-value"]')[0] as HTMLSelectElement
    expect([...prio.options].map((o) => o.textContent)).toEqual(['Low', 'Normal', 'High', 'Urgent'])
    prio.value = 'urgent'
    prio.dispatchEvent(new Event('change'))
    await nextTick()
    expect(serialiseConditions(root, schema)).toEqual({
      all: [{ field: 'message.text', op: 'contains', value: 'refund' }, { any: [{ field: 'ticket.priority', op: 'eq', value: 'urgent' }] }],
    })
    // the group's mode switches between all and any
    const modes = el.querySelectorAll('select[name="group-mode"]')
    ;(modes[0] as HTMLSelectElement).value = 'any'
    modes[0].dispatchEvent(new Event('change'))
    await nextTick()
    expect(Object.keys(serialiseConditions(root, schema))).toEqual(['any'])
    // removing the nested group leaves the first condition
    click(el.querySelector('fieldset fieldset legend button'))
    await nextTick()
    expect(serialiseConditions(root, schema)).toEqual({ any: [{ field: 'message.text', op: 'contains', value: 'refund' }] })
    expect(el.querySelectorAll('fieldset').length).toBe(1)
  })

  it('compares any other path into the facts, typed in, as text', async () => {
    const root = reactive(parseConditions({ all: [{ field: 'order.delivery_date', op: 'exists' }] })) as CondGroup
    const el = mount(root)
    const field = el.querySelector('select[name="cond-field"]') as HTMLSelectElement
    expect(field.selectedOptions[0].textContent).toBe('Other field…')
    const path = el.querySelector('input[name="cond-path"]') as HTMLInputElement
    expect(path.value).toBe('order.delivery_date')
    expect([...el.querySelectorAll('datalist option')].map((o) => o.getAttribute('value'))).toEqual(['order.number', 'order.delivery_date'])
    path.value = 'order.number'
    path.dispatchEvent(new Event('input'))
    const op = el.querySelector('select[name="cond-op"]') as HTMLSelectElement
    op.value = 'eq'
    op.dispatchEvent(new Event('change'))
    await nextTick()
    const value = el.querySelector('input[name="cond-value"]') as HTMLInputElement
    value.value = 'A-123'
    value.dispatchEvent(new Event('input'))
    expect(serialiseConditions(root, schema)).toEqual({ all: [{ field: 'order.number', op: 'eq', value: 'A-123' }] })
    expect(conditionProblems(root, schema)).toEqual([])
    // picking a listed field again hides the path
    field.value = 'message.text'
    field.dispatchEvent(new Event('change'))
    await nextTick()
    expect(el.querySelector('input[name="cond-path"]')).toBeNull()
  })

  it('edits a list operator as comma-separated text and saves it as a list', async () => {
    const root = reactive(parseConditions(stored)) as CondGroup
    const el = mount(root)
    const input = el.querySelector('input[name="cond-value"]') as HTMLInputElement
    expect(input.value).toBe('complaint, klacht')
    input.value = 'complaint, klacht, refund,'
    input.dispatchEvent(new Event('input'))
    await nextTick()
    expect(input.value).toBe('complaint, klacht, refund,')
    expect((serialiseConditions(root, schema) as { any: ConditionJSON[] }).any[0]).toEqual({
      field: 'message.text', op: 'contains_word', value: ['complaint', 'klacht', 'refund'],
    })
  })
})
