import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, h, nextTick } from 'vue'
import MessageItem from '../components/MessageItem.vue'
import { articleBodyText, articleLinkText, categoryName, descendants, flattenTree, parseKeywords, slugify } from '../kb'
import { markdownToText, renderMarkdown, safeURL } from '../markdown'
import { mentionCandidates, mentionQuery, mentions, mentionSegments, mentionToken } from '../mentions'
import { passwordProblem } from '../profile'
import { capacityForm, capacityFrom, formatCosts, groupQueues, loadPercent, parseCosts, parseSkills } from '../routing'
import { useDesk } from '../stores/desk'
import { toasts } from '../stores/toasts'
import type { Agent, KbCategory, Message } from '../types'
import { parseOrigins, webchatSettings, type WebchatForm } from '../webchat'

const agent = (id: number, name: string, over: Partial<Agent> = {}): Agent => ({
  id, name, email: `${id}@x`, role: 'agent', language: 'en', disabled: false, team_ids: [], created_at: 0, ...over,
})
const agents = [agent(1, 'Jan'), agent(2, 'Jan de Vries'), agent(3, 'Petra'), agent(4, 'Kim'), agent(5, 'Kim'), agent(6, 'Olaf', { disabled: true })]

describe('mentions (read as the server reads them)', () => {
  it.each([
    ['@Petra can you look?', [3]],
    ['ask @petra, please', [3]],
    ['@Jan de Vries knows', [2]],
    ['@Jan, and @Jan de Vries too', [1, 2]],
    ['@Jansen is nobody', []],
    ['mail jan@Petra.example', []],
    ['@Kim is two people', []],
    ['@[Kim](agent:5) is one of them', [5]],
    ['@[ghost](agent:99)', []],
    ['@Olaf left', []],
    ['@Petra @Petra (@Petra)', [3]],
  ])('%s → %j', (text, want) => {
    expect(mentions(text, agents)).toEqual(want)
  })

  it('splits a note into text and highlighted mentions, showing markup as the name', () => {
    expect(mentionSegments('hi @[Kim](agent:5), see @Petra.', agents)).toEqual([
      { text: 'hi ' }, { text: '@Kim', agentId: 5 }, { text: ', see ' }, { text: '@Petra', agentId: 3 }, { text: '.' },
    ])
  })

  it('finds the @name being typed before the caret', () => {
    expect(mentionQuery('hello @Pe', 9)).toEqual({ start: 6, q: 'Pe' })
    expect(mentionQuery('@Jan de', 7)).toEqual({ start: 0, q: 'Jan de' })
    expect(mentionQuery('jan@exa', 7)).toBeNull()
    expect(mentionQuery('@Pe\nx', 5)).toBeNull()
    expect(mentionQuery('no at here', 10)).toBeNull()
  })

  it('offers enabled colleagues by name or word start, never yourself', () => {
    expect(mentionCandidates(agents, 'j', 0).map((a) => a.id)).toEqual([1, 2])
    expect(mentionCandidates(agents, 'vries', 0).map((a) => a.id)).toEqual([2])
    expect(mentionCandidates(agents, 'pet', 3)).toEqual([])
    expect(mentionCandidates(agents, 'ol', 0)).toEqual([])
  })

  it('inserts a plain name when it is unique, the id markup otherwise', () => {
    expect(mentionToken(agents[2], agents)).toBe('@Petra')
    expect(mentionToken(agents[0], agents)).toBe('@Jan')
    expect(mentionToken(agents[4], agents)).toBe('@[Kim](agent:5)')
  })
})

describe('markdown', () => {
  it('renders headings, lists, emphasis, code and links, escaping everything else', () => {
    const html = renderMarkdown('# Returns\n\nSend it **back** within *14* days.\n\n- pack it\n- print the [label](https://shop.example/label)\n\n1. one\n2. two\n\n`x<y>`\n\n<script>alert(1)</script>')
    expect(html).toContain('<h1>Returns</h1>')
    expect(html).toContain('<strong>back</strong>')
    expect(html).toContain('<em>14</em>')
    expect(html).toContain('<ul><li>pack it</li><li>print the <a href="https://shop.example/label" rel="noopener">label</a></li></ul>')
    expect(html).toContain('<ol><li>one</li><li>two</li></ol>')
    expect(html).toContain('<code>x&lt;y&gt;</code>')
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;')
  })
  it('refuses script links', () => {
    expect(renderMarkdown('[x](javascript:alert(1))')).toContain('href="#"')
    expect(safeURL('/help/en/articles/1-x')).toBe('/help/en/articles/1-x')
    expect(safeURL('//evil.example')).toBe('#')
  })
  it('turns an article into plain text for a reply', () => {
    expect(markdownToText('## Steps\n\n- **pack** it\n- see [the label page](https://x.example/l)\n\n1. a\n2. b')).toBe(
      'Steps\n\n• pack it\n• see the label page (https://x.example/l)\n\n1. a\n2. b',
    )
  })
})

describe('knowledge base helpers', () => {
  const cat = (id: number, parent_id: number, position: number, en: string): KbCategory => ({ id, parent_id, position, slug: slugify(en), names: { en } })
  const cats = [cat(1, 0, 2, 'Orders'), cat(2, 0, 1, 'Account'), cat(3, 1, 1, 'Returns'), cat(4, 3, 1, 'Labels'), cat(5, 99, 1, 'Orphan')]
  it('flattens the tree depth-first by position; orphans count as roots', () => {
    expect(flattenTree(cats).map((n) => [n.category.id, n.depth])).toEqual([[2, 0], [5, 0], [1, 0], [3, 1], [4, 2]])
  })
  it('knows a category’s subtree, names and slugs', () => {
    expect([...descendants(cats, 1)].sort()).toEqual([1, 3, 4])
    expect(categoryName({ names: { en: 'Orders', nl: 'Bestellingen' }, slug: 'orders' }, 'nl')).toBe('Bestellingen')
    expect(categoryName({ names: { en: 'Orders' }, slug: 'orders' }, 'de')).toBe('Orders')
    expect(slugify('Rücksendung & Umtausch!')).toBe('rucksendung-umtausch')
    expect(parseKeywords('return, refund , ,return')).toEqual(['return', 'refund'])
  })
  it('puts a link or the text of an article into a reply', () => {
    expect(articleLinkText({ title: 'Returns', url: '/help/en/articles/3-returns' }, 'https://desk.example/')).toBe(
      'Returns: https://desk.example/help/en/articles/3-returns',
    )
    expect(articleBodyText({ title: 'R', body: 'Send it **back**.', summary: 's' })).toBe('Send it back.')
    expect(articleBodyText({ title: 'R', body: '', summary: 'Just the summary' })).toBe('Just the summary')
  })
})

describe('routing helpers', () => {
  it('reads and writes capacity costs', () => {
    expect(parseCosts('call=10, chat=3 email=1')).toEqual({ call: 10, chat: 3, email: 1 })
    expect(parseCosts('chat')).toBeNull()
    expect(formatCosts({ budget: 10, costs: { chat: 3, call: 10 }, other: 1 })).toBe('call=10, chat=3')
    expect(capacityFrom(capacityForm(null))).toBeNull()
    expect(capacityFrom({ custom: true, budget: 10, costs: 'chat=3', other: '' })).toEqual({ budget: 10, costs: { chat: 3 }, other: 1 })
    expect(capacityFrom({ custom: true, budget: 0, costs: '', other: 1 })).toBe('budget')
    expect(capacityFrom({ custom: true, budget: 5, costs: 'chat=x', other: 1 })).toBe('costs')
    expect(parseSkills(' NL, billing,nl ')).toEqual(['billing', 'nl'])
  })
  it('computes load bars and groups queues per team', () => {
    expect(loadPercent({ load: 3, budget: 10 })).toBe(30)
    expect(loadPercent({ load: 12, budget: 10 })).toBe(100)
    expect(loadPercent({ load: 0, budget: 0 })).toBe(0)
    const rows = [
      { team_id: 2, kind: 'email', waiting: 1, longest_wait_ms: 1, estimated_wait_ms: 1 },
      { team_id: 1, kind: 'email', waiting: 2, longest_wait_ms: 1, estimated_wait_ms: 1 },
      { team_id: 1, kind: 'chat', waiting: 3, longest_wait_ms: 1, estimated_wait_ms: 1 },
      { team_id: 0, kind: 'api', waiting: 1, longest_wait_ms: 1, estimated_wait_ms: 1 },
    ]
    const g = groupQueues(rows, [{ id: 1, name: 'Support' }, { id: 2, name: 'Billing' }])
    expect(g.map((x) => [x.team.name, x.waiting, x.rows.map((r) => r.kind)])).toEqual([
      ['Billing', 1, ['email']], ['Support', 5, ['chat', 'email']], ['—', 1, ['api']],
    ])
  })
})

describe('profile and website chat forms', () => {
  it('checks a new password before sending it', () => {
    expect(passwordProblem('short', 'short')).toBe('profile.tooShort')
    expect(passwordProblem('long enough 1', 'long enough 2')).toBe('profile.mismatch')
    expect(passwordProblem('x'.repeat(73), 'x'.repeat(73))).toBe('profile.tooLong')
    expect(passwordProblem('long enough 1', 'long enough 1')).toBe('')
  })
  it('saves website chat settings; the secret only when typed', () => {
    expect(parseOrigins('https://shop.example/\nhttp://localhost:8080, *\nshop.example')).toEqual({
      ok: ['https://shop.example', 'http://localhost:8080', '*'], bad: ['shop.example'],
    })
    const f: WebchatForm = {
      name: 'Chat', team_id: 0, enabled: true, color: '#0b5fff', title: ' Support ', avatar_url: '',
      greeting: { en: 'Hi!', nl: '', de: 'Hallo!' }, origins: 'https://shop.example', prechat: true, bot: true,
      bot_hours: 'outside_business_hours', identity_secret: '',
    }
    expect(webchatSettings(f)).toEqual({
      color: '#0b5fff', title: 'Support', greeting: { en: 'Hi!', de: 'Hallo!' }, avatar_url: '',
      allowed_origins: ['https://shop.example'], prechat: true, bot: { enabled: true, hours: 'outside_business_hours' },
    })
    expect(webchatSettings({ ...f, identity_secret: 'sixteen chars!!!' }).identity_secret).toBe('sixteen chars!!!')
  })
})

describe('timeline: bot messages and mentions', () => {
  const base: Message = { id: 5, ticket_id: 1, kind: 'message', author_type: 'bot', direction: 'out', text: 'Try this article', attachments: [], created_at: 0, updated_at: 0 }
  function mount(props: Record<string, unknown>) {
    const el = document.createElement('div')
    document.body.appendChild(el)
    const app = createApp({ render: () => h(MessageItem, props as any) })
    app.mount(el)
    return { el, unmount: () => app.unmount() }
  }
  it('marks the bot’s messages with a label and their own style', () => {
    const { el, unmount } = mount({ message: base })
    expect(el.querySelector('.msg')!.classList.contains('bot')).toBe(true)
    expect(el.querySelector('.author')!.textContent).toBe('Bot')
    expect(el.querySelector('.bot-tag')!.textContent).toBe('automatic answer')
    unmount()
  })
  it('highlights mentions in notes, the reader’s own more', () => {
    const { el, unmount } = mount({ message: { ...base, kind: 'note', author_type: 'agent', text: '@Petra and @[Kim](agent:5), please' }, agents, meId: 3 })
    const marks = [...el.querySelectorAll('mark.mention')].map((m) => [m.textContent, m.classList.contains('me')])
    expect(marks).toEqual([['@Petra', true], ['@Kim', false]])
    expect(el.querySelector('.body')!.textContent).toBe('@Petra and @Kim, please')
    unmount()
  })
})

describe('desk store: mentions and presence', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    localStorage.clear()
    toasts.splice(0)
  })
  it('toasts a mention only for the agent it names', async () => {
    const d = useDesk()
    d.init(agent(3, 'Petra'))
    const ticket = { id: 9, number: 10009, contact_id: 1, subject: 'Refund', status: 'open' as const, priority: 'normal' as const, tags: [], created_at: 0, updated_at: 0 }
    d.applyEvent({ type: 'agent.mentioned', ticket_id: 9, assignee_id: 4, agent: { id: 1, name: 'Jan' }, ticket })
    d.applyEvent({ type: 'agent.mentioned', ticket_id: 9, assignee_id: 3, agent: { id: 1, name: 'Jan' }, ticket })
    await nextTick()
    expect(toasts.map((x) => x.text)).toEqual(['Jan mentioned you on #10009: Refund'])
    expect(toasts[0].to).toBe('/tickets/9')
  })
  it('follows presence changes of colleagues and of itself', () => {
    const d = useDesk()
    d.init(agent(3, 'Petra', { presence: 'offline' }))
    d.agents = [agent(3, 'Petra'), agent(4, 'Kim')]
    const seen: string[] = []
    const stop = d.onEvent((ev) => seen.push(ev.type))
    d.applyEvent({ type: 'agent.presence', assignee_id: 4, presence: 'away' })
    d.applyEvent({ type: 'agent.presence', assignee_id: 3, presence: 'online' })
    stop()
    d.applyEvent({ type: 'agent.presence', assignee_id: 4, presence: 'online' })
    expect(d.agents.find((a) => a.id === 4)!.presence).toBe('online')
    expect(d.myPresence).toBe('online')
    expect(seen).toEqual(['agent.presence', 'agent.presence'])
  })
  it('notes when the customer types in the website chat', () => {
    const d = useDesk()
    d.init(agent(3, 'Petra'))
    const before = Date.now()
    d.applyEvent({ type: 'ticket.contact_typing', ticket_id: 9, agent: { id: 0, name: 'Jan' } })
    expect(d.customerTyping[9]).toBeGreaterThanOrEqual(before)
    expect(d.customerTyping[10]).toBeUndefined()
  })
  it('opens the ticket get-next returns, and says when nothing fits', async () => {
    const d = useDesk()
    d.init(agent(3, 'Petra'))
    const ticket = { id: 9, number: 10009, contact_id: 1, subject: 'Refund', status: 'open', priority: 'normal', tags: [], created_at: 0, updated_at: 5, assignee_id: 3 }
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(ticket), { status: 200 })))
    expect((await d.getNext())?.id).toBe(9)
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })))
    expect(await d.getNext()).toBeNull()
    vi.unstubAllGlobals()
  })
})
