// The rule editor's model. A rule's conditions are a tree of groups
// ({"all": [...]} or {"any": [...]}) and leaves ({"field", "op", "value"});
// its actions a list of {"type", ...params}. The editor works on a copy
// with a key on every node (for v-for and removal) and serialises back to
// the stored JSON. What fields, operators and actions exist comes from the
// server's schema (GET /api/v1/rules/schema), never from this file.
import type {
  ActionJSON, ConditionJSON, ConditionLeafJSON, Rule, RuleInput, RuleSchema, SchemaAction, SchemaField, SchemaOp, SchemaParam,
} from './types'

export type GroupMode = 'all' | 'any'

export interface CondLeaf {
  key: number
  kind: 'leaf'
  field: string
  op: string
  value: unknown
}

export interface CondGroup {
  key: number
  kind: 'group'
  mode: GroupMode
  children: CondNode[]
}

export type CondNode = CondLeaf | CondGroup

export interface ActionItem {
  key: number
  type: string
  params: Record<string, unknown>
}

let nextKey = 1
const newKey = () => nextKey++

// ---- conditions ----------------------------------------------------------

/** parseConditions turns stored conditions into an editable tree whose root is always a group. */
export function parseConditions(c: ConditionJSON | null | undefined): CondGroup {
  const node = c ? parseNode(c) : null
  if (!node) return emptyGroup('all')
  return node.kind === 'group' ? node : { key: newKey(), kind: 'group', mode: 'all', children: [node] }
}

function parseNode(c: ConditionJSON): CondNode | null {
  if (!c || typeof c !== 'object') return null
  for (const mode of ['all', 'any'] as const) {
    const list = (c as Record<string, unknown>)[mode]
    if (Array.isArray(list) || (mode in c && list == null)) {
      const children = ((list ?? []) as ConditionJSON[]).map(parseNode).filter((n): n is CondNode => n !== null)
      return { key: newKey(), kind: 'group', mode, children }
    }
  }
  const leaf = c as ConditionLeafJSON
  if (typeof leaf.field !== 'string') return null
  return { key: newKey(), kind: 'leaf', field: leaf.field, op: String(leaf.op ?? ''), value: leaf.value }
}

export function emptyGroup(mode: GroupMode = 'all'): CondGroup {
  return { key: newKey(), kind: 'group', mode, children: [] }
}

/** serialiseConditions turns the tree back into the stored JSON; an empty root means "always". */
export function serialiseConditions(g: CondGroup, schema?: RuleSchema): ConditionJSON {
  return serialiseNode(g, schema) as ConditionJSON
}

function serialiseNode(n: CondNode, schema?: RuleSchema): ConditionJSON {
  if (n.kind === 'group') {
    const children = n.children.map((c) => serialiseNode(c, schema))
    return n.mode === 'all' ? { all: children } : { any: children }
  }
  const out: ConditionLeafJSON = { field: n.field, op: n.op }
  const kind = valueKind(findOp(schema, n.op), n.op)
  if (kind !== 'none') out.value = normaliseValue(n.value, kind, fieldType(schema, n.field))
  return out
}

/** normaliseValue gives a leaf's value the shape its operator takes: a list, a number, or text. */
export function normaliseValue(v: unknown, kind: 'single' | 'list', type?: string): unknown {
  const num = type === 'number'
  const one = (x: unknown) => {
    if (type === 'bool') return x === true || x === 'true'
    if (num) {
      const n = Number(x)
      return x === '' || x == null || Number.isNaN(n) ? x : n
    }
    return typeof x === 'string' ? x.trim() : x
  }
  if (kind === 'list') {
    const list = Array.isArray(v) ? v : splitList(v)
    return list.map(one).filter((x) => x !== '' && x != null)
  }
  return one(Array.isArray(v) ? v[0] : v)
}

/** splitList reads a comma-separated list as typed in a text box. */
export function splitList(v: unknown): string[] {
  if (typeof v !== 'string') return v == null ? [] : [String(v)]
  return v.split(',').map((s) => s.trim()).filter(Boolean)
}

export const findField = (schema: RuleSchema | undefined, name: string): SchemaField | undefined => schema?.fields.find((f) => f.name === name)
export const findOp = (schema: RuleSchema | undefined, name: string): SchemaOp | undefined => schema?.ops.find((o) => o.name === name)

/**
 * fieldType is a field's type; any other dotted path into the facts (an
 * event's order.total, contact.attributes.segment) is compared as text.
 */
export function fieldType(schema: RuleSchema | undefined, field: string): string {
  return findField(schema, field)?.type ?? 'text'
}

/** opsFor lists the operators that apply to a field's type. */
export function opsFor(schema: RuleSchema, field: string): SchemaOp[] {
  const type = fieldType(schema, field)
  return schema.ops.filter((o) => o.types.includes(type))
}

/** fieldSuggestions are example paths for fields the schema does not list ({"event.data": ["order.number"]} gives order.number). */
export function fieldSuggestions(schema: RuleSchema): string[] {
  const known = new Set(schema.fields.map((f) => f.name))
  return [...new Set(Object.values(schema.examples ?? {}).flat())].filter((x) => !known.has(x))
}

// Operators whose value is a list or absent, when the schema does not say.
const LIST_OPS = /(^|_)(in|any|one_of|words?|all_of)($|_)/
const NONE_OPS = /(^|_)(empty|set|exists|present|changed|true|false)$/

/** valueKind says whether an operator takes one value, a list, or none. */
export function valueKind(op: SchemaOp | undefined, name = op?.name ?? ''): 'single' | 'list' | 'none' {
  if (op?.value) return op.value
  if (NONE_OPS.test(name)) return 'none'
  if (LIST_OPS.test(name)) return 'list'
  return 'single'
}

function defaultValue(field: SchemaField | undefined, kind: 'single' | 'list' | 'none'): unknown {
  if (kind === 'none') return undefined
  if (kind === 'list') return []
  if (field?.type === 'enum' && field.values?.length) return field.values[0]
  if (field?.type === 'number') return 0
  if (field?.type === 'bool') return true
  return ''
}

/** newLeaf is a condition on field (the schema's first when not given) with its first operator. */
export function newLeaf(schema: RuleSchema, field = schema.fields[0]?.name ?? ''): CondLeaf {
  const op = opsFor(schema, field)[0]
  return { key: newKey(), kind: 'leaf', field, op: op?.name ?? '', value: defaultValue(findField(schema, field), valueKind(op)) }
}

/** addCondition appends a new condition to group and returns it. */
export function addCondition(group: CondGroup, schema: RuleSchema): CondLeaf {
  const leaf = newLeaf(schema)
  group.children.push(leaf)
  return leaf
}

/** addGroup nests a new group (with one condition, so it is not empty) in group and returns it. */
export function addGroup(group: CondGroup, schema: RuleSchema, mode: GroupMode = group.mode === 'all' ? 'any' : 'all'): CondGroup {
  const g: CondGroup = { key: newKey(), kind: 'group', mode, children: [newLeaf(schema)] }
  group.children.push(g)
  return g
}

/** removeNode takes the node with key out of the tree (never the root); false when it is not there. */
export function removeNode(root: CondGroup, key: number): boolean {
  const i = root.children.findIndex((c) => c.key === key)
  if (i >= 0) {
    root.children.splice(i, 1)
    return true
  }
  return root.children.some((c) => c.kind === 'group' && removeNode(c, key))
}

/** setField switches a leaf to another field, keeping the operator and value where they still fit. */
export function setField(leaf: CondLeaf, schema: RuleSchema, field: string) {
  const before = findField(schema, leaf.field)
  leaf.field = field
  const ops = opsFor(schema, field)
  const after = findField(schema, field)
  if (!ops.some((o) => o.name === leaf.op)) leaf.op = ops[0]?.name ?? ''
  const kind = valueKind(findOp(schema, leaf.op), leaf.op)
  if (before?.type !== after?.type || (after?.type === 'enum' && !sameValues(before?.values, after?.values))) leaf.value = defaultValue(after, kind)
  else leaf.value = fitValue(leaf.value, kind, after)
}

/** setOp switches a leaf's operator, turning the value into a list or one value as the operator needs. */
export function setOp(leaf: CondLeaf, schema: RuleSchema, op: string) {
  leaf.op = op
  leaf.value = fitValue(leaf.value, valueKind(findOp(schema, op), op), findField(schema, leaf.field))
}

function fitValue(v: unknown, kind: 'single' | 'list' | 'none', field?: SchemaField): unknown {
  if (kind === 'none') return undefined
  if (kind === 'list') return Array.isArray(v) ? v : v === '' || v == null ? [] : splitList(v)
  if (Array.isArray(v)) return v[0] ?? defaultValue(field, kind)
  return v ?? defaultValue(field, kind)
}

const sameValues = (a?: string[] | null, b?: string[] | null) => (a ?? []).join('\u0000') === (b ?? []).join('\u0000')

/** countConditions counts the leaves of a tree. */
export function countConditions(n: CondNode): number {
  return n.kind === 'leaf' ? 1 : n.children.reduce((s, c) => s + countConditions(c), 0)
}

/** conditionProblems lists what keeps a tree from being saved: unknown fields, missing operators or values, empty groups. */
export function conditionProblems(root: CondGroup, schema: RuleSchema): string[] {
  const out: string[] = []
  const walk = (n: CondNode, isRoot: boolean) => {
    if (n.kind === 'group') {
      if (!isRoot && !n.children.length) out.push('empty_group')
      n.children.forEach((c) => walk(c, false))
      return
    }
    if (!/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(n.field)) return void out.push(`field:${n.field}`)
    if (!opsFor(schema, n.field).some((o) => o.name === n.op)) return void out.push(`op:${n.field}`)
    const kind = valueKind(findOp(schema, n.op), n.op)
    if (kind === 'none') return
    const v = normaliseValue(n.value, kind, fieldType(schema, n.field))
    if (kind === 'list' ? !(v as unknown[]).length : v === '' || v == null) out.push(`value:${n.field}`)
  }
  walk(root, true)
  return out
}

// ---- actions -------------------------------------------------------------

export const findAction = (schema: RuleSchema | undefined, type: string): SchemaAction | undefined => schema?.actions.find((a) => a.type === type)

/** Parameter types whose value is a list. */
const LIST_PARAMS = new Set(['channels', 'tags', 'teams', 'agents', 'list'])
/**
 * Parameter types that may stay empty: no send hours (any time), no
 * channels (the ticket's own), team or agent 0 (no team, nobody).
 */
const OPTIONAL_PARAMS = new Set(['hours', 'channels', 'team', 'agent', 'bool', 'boolean', 'number', 'provider_template'])

/**
 * ProviderTemplate is a template the channel's provider approved (WhatsApp):
 * its name, language and positional parameters, each a text template.
 */
export interface ProviderTemplate {
  name: string
  language: string
  params: string[]
}

/** providerTemplate reads a stored or edited provider template; null when none is chosen. */
export function providerTemplate(v: unknown): ProviderTemplate | null {
  if (!v || typeof v !== 'object') return null
  const x = v as { name?: unknown; language?: unknown; params?: unknown }
  const name = typeof x.name === 'string' ? x.name.trim() : ''
  const language = typeof x.language === 'string' ? x.language.trim() : ''
  // Parameters are positional ({{1}}, {{2}}): an empty one in the middle keeps its place, empty ones at the end go.
  const params = Array.isArray(x.params) ? x.params.map((p) => (typeof p === 'string' ? p.trim() : '')) : []
  while (params.length && !params[params.length - 1]) params.pop()
  if (!name && !language && !params.length) return null
  return { name, language, params }
}

/** paramDefault is what a new action starts with for one parameter. */
export function paramDefault(p: SchemaParam): unknown {
  if (LIST_PARAMS.has(p.type)) return []
  if (p.type === 'enum') return p.values?.[0] ?? ''
  if (p.type === 'number' || p.type === 'team' || p.type === 'agent' || p.type === 'channel') return 0
  if (p.type === 'bool' || p.type === 'boolean') return false
  if (p.type === 'provider_template') return null
  return ''
}

/** newAction is an action of type with every parameter at its default. */
export function newAction(schema: RuleSchema, type = schema.actions[0]?.type ?? ''): ActionItem {
  const params: Record<string, unknown> = {}
  for (const p of findAction(schema, type)?.params ?? []) params[p.name] = paramDefault(p)
  return { key: newKey(), type, params }
}

/** setActionType switches an action to another type, keeping parameters of the same name and type. */
export function setActionType(a: ActionItem, schema: RuleSchema, type: string) {
  const before = findAction(schema, a.type)?.params ?? []
  const fresh = newAction(schema, type)
  for (const p of findAction(schema, type)?.params ?? []) {
    const old = before.find((b) => b.name === p.name)
    if (old && old.type === p.type && p.name in a.params) fresh.params[p.name] = a.params[p.name]
  }
  a.type = type
  a.params = fresh.params
}

/** parseActions opens stored actions; parameters left out (the server drops empty ones) start at their defaults. */
export function parseActions(list: ActionJSON[] | null | undefined, schema?: RuleSchema): ActionItem[] {
  return (list ?? []).map(({ type, ...params }) => {
    const all: Record<string, unknown> = {}
    for (const p of findAction(schema, type)?.params ?? []) all[p.name] = paramDefault(p)
    return { key: newKey(), type, params: { ...all, ...params } }
  })
}

/** serialiseActions turns the editor's actions into the stored JSON; typed-in lists become arrays, numbers numbers. */
export function serialiseActions(items: ActionItem[], schema?: RuleSchema): ActionJSON[] {
  return items.map((a) => {
    const out: ActionJSON = { type: a.type }
    const params = findAction(schema, a.type)?.params
    if (!params) return { ...out, ...a.params }
    for (const p of params) {
      const v = a.params[p.name]
      out[p.name] = paramValue(v, p)
    }
    return out
  })
}

function paramValue(v: unknown, p: SchemaParam): unknown {
  if (LIST_PARAMS.has(p.type)) {
    const list = Array.isArray(v) ? v : splitList(v)
    return p.type === 'tags' || p.type === 'list' ? list.map((x) => String(x).trim()).filter(Boolean) : list.map(Number).filter((n) => n > 0)
  }
  if (p.type === 'number' || p.type === 'team' || p.type === 'agent' || p.type === 'channel') return Number(v) || 0
  if (p.type === 'bool' || p.type === 'boolean') return !!v
  if (p.type === 'provider_template') return providerTemplate(v)
  return typeof v === 'string' ? v.trim() : (v ?? '')
}

/** actionProblems lists actions of unknown types and required parameters left empty ("type.param"). */
export function actionProblems(items: ActionItem[], schema: RuleSchema): string[] {
  const out: string[] = []
  for (const a of items) {
    const def = findAction(schema, a.type)
    if (!def) {
      out.push(a.type || '?')
      continue
    }
    for (const p of def.params ?? []) {
      if (p.type === 'provider_template') {
        // none is fine; a chosen one needs both its name and its language
        const pt = providerTemplate(a.params[p.name])
        if (pt && (!pt.name || !pt.language)) out.push(`${a.type}.${p.name}`)
        continue
      }
      if (p.optional || OPTIONAL_PARAMS.has(p.type)) continue
      const v = paramValue(a.params[p.name], p)
      if (v === '' || v === 0 || (Array.isArray(v) && !v.length)) out.push(`${a.type}.${p.name}`)
    }
  }
  return out
}

/** moveItem moves the entry at i by d places (-1 up, +1 down) when it can. */
export function moveItem<T>(list: T[], i: number, d: number) {
  const j = i + d
  if (j < 0 || j >= list.length) return
  const [x] = list.splice(i, 1)
  list.splice(j, 0, x)
}

// ---- the rule as a whole -------------------------------------------------

export interface RuleDraft {
  id?: number
  name: string
  description: string
  trigger: string
  event_name: string
  enabled: boolean
  position: number
  conditions: CondGroup
  actions: ActionItem[]
}

/** draftOf opens a rule (or a new one on the schema's first trigger, disabled until tried, after the others) in the editor. */
export function draftOf(r: Rule | null, schema: RuleSchema, others: Pick<Rule, 'position'>[] = []): RuleDraft {
  if (!r) {
    return {
      name: '', description: '', trigger: schema.triggers[0]?.name ?? '', event_name: '', enabled: false,
      position: Math.max(0, ...others.map((x) => x.position ?? 0)) + 1, conditions: emptyGroup('all'), actions: [],
    }
  }
  return {
    id: r.id, name: r.name, description: r.description ?? '', trigger: r.trigger, event_name: r.event_name ?? '', enabled: r.enabled,
    position: r.position ?? 0,
    conditions: parseConditions(r.conditions), actions: parseActions(r.actions, schema),
  }
}

/** ruleInput is the body the API takes to save or test a draft. */
export function ruleInput(d: RuleDraft, schema?: RuleSchema): RuleInput {
  return {
    ...(d.id ? { id: d.id } : {}),
    name: d.name.trim(),
    description: d.description.trim(),
    trigger: d.trigger,
    event_name: d.trigger === 'event' ? d.event_name.trim() : '',
    enabled: d.enabled,
    position: Number(d.position) || 0,
    conditions: serialiseConditions(d.conditions, schema),
    actions: serialiseActions(d.actions, schema),
  }
}

/** valueText shows a condition value compactly: lists joined by commas, anything else as JSON. */
export function valueText(v: unknown): string {
  if (v === undefined || v === null || v === '') return '—'
  if (Array.isArray(v)) return v.map(valueText).join(', ')
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
