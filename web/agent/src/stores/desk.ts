// The desk store: directory data (agents, teams, channels), the current
// ticket list and ticket, unread markers, and realtime event application.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { api, type TicketQuery } from '../api'
import { t } from '../i18n'
import {
  ACTIVE, applyMessage, applyTicket, effectiveQuery, isUnread, loadSeen, markSeen, matches, previewMessage, saveSeen,
  type Filters, type SeenMap,
} from '../logic'
import { notify } from '../notify'
import { applyPresence, type PresenceMap } from '../presence'
import type {
  Agent, CannedResponse, Channel, Message, MessageOptions, Presence, StreamEvent, Team, Ticket, TicketDetail, TicketPatch,
} from '../types'
import { toast } from './toasts'

type Sender = (frame: unknown) => boolean
type Navigate = (to: string) => void

export const useDesk = defineStore('desk', () => {
  const meId = ref(0)
  const agents = ref<Agent[]>([])
  const teams = ref<Team[]>([])
  const channels = ref<Channel[]>([])

  const view = ref('mine')
  const filters = ref<Filters>({})
  const query = computed<TicketQuery>(() => effectiveQuery(view.value, filters.value))
  const list = shallowRef<Ticket[]>([])
  const next = ref<string | undefined>()
  const loading = ref(false)
  const cursor = ref(0) // keyboard position in the list

  const current = ref<TicketDetail | null>(null)
  const seen = ref<SeenMap>({})
  const counts = ref<Record<string, string>>({})
  const live = ref(false)
  const presence = ref<PresenceMap>({})
  /** customerTyping: ticket id → when the customer last typed (website chat). */
  const customerTyping = ref<Record<number, number>>({})
  const canned = ref<CannedResponse[] | null>(null)
  const cannedAvailable = ref(true)
  const myPresence = ref<Presence | undefined>()

  // Last known assignee per ticket, to tell a new assignment to me.
  const knownAssignee = new Map<number, number>()
  const selfAssigning = new Set<number>()
  let sender: Sender = () => false
  let navigate: Navigate = () => {}
  let viewingTicket = 0

  let listSeq = 0
  let firstList: (() => void) | null = null
  const firstListLoaded = new Promise<void>((r) => (firstList = r))
  /** afterFirstList resolves once the first list is on screen (or after ms), so extras do not delay it. */
  const afterFirstList = (ms = 2000) => Promise.race([firstListLoaded, new Promise<void>((r) => setTimeout(r, ms))])
  let refetchTimer: ReturnType<typeof setTimeout> | null = null
  let countTimer: ReturnType<typeof setTimeout> | null = null

  function init(me: Agent) {
    meId.value = me.id
    myPresence.value = me.presence
    seen.value = loadSeen(localStorage, me.id)
  }

  /** connect gives the store a way to send stream frames and to navigate (from notifications). */
  function connect(send: Sender, nav: Navigate) {
    sender = send
    navigate = nav
  }

  /** sendPresence tells the other agents that this agent views, types on or left a ticket. */
  function sendPresence(type: 'viewing' | 'typing' | 'left', ticketId: number) {
    if (type === 'viewing' || type === 'typing') viewingTicket = ticketId
    else if (viewingTicket === ticketId) viewingTicket = 0
    return sender({ type, ticket_id: ticketId })
  }

  /** resendPresence repeats the viewing frame after the stream (re)connected. */
  function resendPresence() {
    if (viewingTicket) sender({ type: 'viewing', ticket_id: viewingTicket })
  }

  function remember(tks: Ticket[]) {
    for (const tk of tks) knownAssignee.set(tk.id, tk.assignee_id ?? 0)
    if (knownAssignee.size > 20000) knownAssignee.clear()
  }

  async function loadCanned(force = false) {
    if (canned.value && !force) return canned.value
    try {
      canned.value = (await api.canned()).canned_responses ?? []
      cannedAvailable.value = true
    } catch (e) {
      canned.value = []
      if ((e as { status?: number }).status === 404) cannedAvailable.value = false
    }
    return canned.value
  }

  async function loadDirectory() {
    const [a, tm, c] = await Promise.all([api.agents(), api.teams(), api.channels()])
    agents.value = a.agents
    teams.value = tm.teams
    channels.value = c.channels
  }

  const agentName = (id?: number) => (id ? (agents.value.find((a) => a.id === id)?.name ?? `#${id}`) : '')
  const teamName = (id?: number) => (id ? (teams.value.find((x) => x.id === id)?.name ?? `#${id}`) : '')
  const channelName = (id?: number) => (id ? (channels.value.find((x) => x.id === id)?.name ?? `#${id}`) : '')
  const channelKind = (id?: number) => (id ? (channels.value.find((x) => x.id === id)?.kind ?? '') : '')

  async function loadList() {
    const seq = ++listSeq
    loading.value = true
    try {
      const page = await api.tickets({ ...query.value, limit: 100 })
      if (seq !== listSeq) return
      list.value = page.tickets
      remember(page.tickets)
      next.value = page.next
      if (cursor.value >= list.value.length) cursor.value = Math.max(0, list.value.length - 1)
    } finally {
      if (seq === listSeq) loading.value = false
      firstList?.()
      firstList = null
    }
  }

  async function loadMore() {
    if (!next.value) return
    const seq = listSeq
    const page = await api.tickets({ ...query.value, limit: 100, cursor: next.value })
    if (seq !== listSeq) return
    const ids = new Set(list.value.map((x) => x.id))
    remember(page.tickets)
    list.value = [...list.value, ...page.tickets.filter((x) => !ids.has(x.id))]
    next.value = page.next
  }

  function setView(v: string, f: Filters) {
    const changed = v !== view.value || JSON.stringify(f) !== JSON.stringify(filters.value)
    view.value = v
    filters.value = f
    if (changed) cursor.value = 0
    return loadList()
  }

  async function openTicket(id: number) {
    const d = await api.ticket(id)
    remember([d])
    current.value = d
    see(d)
    return d
  }

  async function refreshCurrent() {
    if (current.value) await openTicket(current.value.id)
  }

  function see(tk: Pick<Ticket, 'id' | 'updated_at'>) {
    const s = markSeen(seen.value, tk)
    if (s !== seen.value) {
      seen.value = s
      saveSeen(localStorage, meId.value, s)
    }
  }

  const unread = (tk: Ticket) => isUnread(tk, seen.value)

  // Counts for the sidebar: one cheap request per view, refreshed on events.
  async function loadCounts() {
    const views: [string, TicketQuery][] = [
      ['mine', { assignee_id: 'me', status: ACTIVE }],
      ['unassigned', { assignee_id: 'none', status: ACTIVE }],
      ['breached', { breached: true }],
    ]
    await Promise.all(
      views.map(async ([k, q]: [string, TicketQuery]) => {
        try {
          const p = await api.tickets({ ...q, limit: 200 })
          remember(p.tickets)
          counts.value = { ...counts.value, [k]: p.next ? '200+' : String(p.tickets.length) }
        } catch {
          // counts are a convenience
        }
      }),
    )
  }

  function scheduleCounts() {
    if (countTimer) return
    countTimer = setTimeout(() => {
      countTimer = null
      void loadCounts()
    }, 1000)
  }

  function scheduleRefetch() {
    if (refetchTimer) return
    refetchTimer = setTimeout(() => {
      refetchTimer = null
      void loadList()
    }, 300)
  }

  function upsertTicket(tk: Ticket) {
    if (matches(tk, query.value, meId.value) === null) scheduleRefetch()
    list.value = applyTicket(list.value, tk, query.value, meId.value)
    const cur = current.value
    if (cur && cur.id === tk.id && cur.updated_at <= tk.updated_at) {
      // Replace, not merge: the API leaves out empty fields, so a due time
      // that was met is absent from the event and must go from the view.
      current.value = { ...tk, contact: cur.contact, messages: cur.messages }
      if (typeof document === 'undefined' || document.visibilityState !== 'hidden') see(tk)
    }
  }

  function upsertMessage(m: Message) {
    // The customer's message ends their typing.
    if (m.direction === 'in' && customerTyping.value[m.ticket_id]) {
      const { [m.ticket_id]: _, ...rest } = customerTyping.value
      customerTyping.value = rest
    }
    list.value = previewMessage(list.value, m)
    const cur = current.value
    if (cur && cur.id === m.ticket_id) current.value = { ...cur, messages: applyMessage(cur.messages, m) }
  }

  /** noticeAssignment tells the agent about a ticket newly assigned to them. */
  function noticeAssignment(tk: Ticket, created: boolean) {
    const before = knownAssignee.get(tk.id)
    const mine = tk.assignee_id === meId.value && meId.value > 0
    if (mine && !selfAssigning.has(tk.id) && (created || (before !== undefined && before !== meId.value))) {
      const text = t('toast.assigned', { n: tk.number, subject: tk.subject || '…' })
      toast(text, { to: `/tickets/${tk.id}` })
      notify(t('notify.assigned'), `#${tk.number} ${tk.subject}`, `assigned-${tk.id}`, () => navigate(`/tickets/${tk.id}`))
    }
    knownAssignee.set(tk.id, tk.assignee_id ?? 0)
  }

  function noticeSla(ev: StreamEvent) {
    const tk = ev.ticket
    if (!tk) return
    // Only what concerns this agent: their tickets and unassigned ones.
    if (tk.assignee_id && tk.assignee_id !== meId.value) return
    const breached = ev.type === 'sla.breached'
    const text = t(breached ? 'toast.slaBreached' : 'toast.slaWarning', { n: tk.number, subject: tk.subject || '…' })
    toast(text, { to: `/tickets/${tk.id}`, kind: breached ? 'error' : 'info', ms: 10000 })
    notify(t(breached ? 'notify.slaBreached' : 'notify.slaWarning'), `#${tk.number} ${tk.subject}`, `sla-${tk.id}`, () =>
      navigate(`/tickets/${tk.id}`),
    )
  }

  /** noticeMention tells the agent a note mentions them (events name the mentioned agent in assignee_id). */
  async function noticeMention(ev: StreamEvent) {
    if (!meId.value || ev.assignee_id !== meId.value || !ev.ticket_id) return
    let tk: Pick<Ticket, 'id' | 'number' | 'subject'> | undefined = ev.ticket
    if (!tk) tk = await api.ticket(ev.ticket_id).catch(() => undefined)
    if (!tk) return
    const name = ev.agent?.name || agentName(ev.agent?.id) || t('msg.system')
    const to = `/tickets/${tk.id}`
    toast(t('toast.mentioned', { name, n: tk.number, subject: tk.subject || '…' }), { to, ms: 10000 })
    notify(t('notify.mentioned', { name }), `#${tk.number} ${ev.message?.text ?? tk.subject}`, `mention-${ev.message_id ?? tk.id}`, () => navigate(to))
  }

  // Views that show live figures (the queue view) refresh on events.
  const listeners = new Set<(ev: StreamEvent) => void>()
  /** onEvent calls fn for every stream event until the returned function is called. */
  function onEvent(fn: (ev: StreamEvent) => void) {
    listeners.add(fn)
    return () => void listeners.delete(fn)
  }
  let directoryTimer: ReturnType<typeof setTimeout> | null = null
  function scheduleDirectory() {
    if (directoryTimer) return
    directoryTimer = setTimeout(() => {
      directoryTimer = null
      void loadDirectory().catch(() => null)
    }, 1000)
  }

  /** applyEvent folds one realtime event into the store. */
  function applyEvent(ev: StreamEvent) {
    for (const fn of listeners) fn(ev)
    switch (ev.type) {
      case 'agent.mentioned':
        void noticeMention(ev)
        break
      case 'webhook.disabled':
        if (ev.webhook) toast(t('wh.disabledToast', { url: ev.webhook.url }), { kind: 'error', to: '/admin/webhooks', ms: 30_000 })
        break
      case 'agent.presence':
        if (ev.assignee_id && ev.presence) {
          agents.value = agents.value.map((a) => (a.id === ev.assignee_id ? { ...a, presence: ev.presence } : a))
          if (ev.assignee_id === meId.value) myPresence.value = ev.presence
        }
        break
      case 'agent.updated':
      case 'team.updated':
        scheduleDirectory()
        break
      case 'ticket.contact_typing':
        if (ev.ticket_id) customerTyping.value = { ...customerTyping.value, [ev.ticket_id]: Date.now() }
        break
      case 'ticket.viewing':
      case 'ticket.typing':
      case 'ticket.left': {
        const isNew = !!ev.ticket_id && !!ev.agent && !presence.value[ev.ticket_id]?.[ev.agent.id]
        presence.value = applyPresence(presence.value, ev, Date.now(), meId.value)
        // Let a newcomer on the ticket we view know about us right away.
        if (isNew && ev.type !== 'ticket.left' && ev.ticket_id === viewingTicket && ev.agent?.id !== meId.value) resendPresence()
        break
      }
      case 'sla.warning':
      case 'sla.breached':
        if (ev.ticket) {
          upsertTicket(ev.ticket)
          noticeSla(ev)
        }
        scheduleCounts()
        break
      case 'ticket.created':
      case 'ticket.updated':
        if (ev.ticket) {
          noticeAssignment(ev.ticket, ev.type === 'ticket.created')
          upsertTicket(ev.ticket)
          if (ev.type === 'ticket.created') {
            toast(t('toast.newTicket', { n: ev.ticket.number, subject: ev.ticket.subject || '…' }), {
              to: `/tickets/${ev.ticket.id}`,
            })
          }
        } else {
          scheduleRefetch()
        }
        scheduleCounts()
        break
      case 'message.created':
      case 'message.updated':
        if (ev.message) upsertMessage(ev.message)
        else if (current.value && current.value.id === ev.ticket_id) void refreshCurrent()
        break
    }
  }

  /** catchUp refetches what is on screen after the stream reconnected. */
  async function catchUp() {
    await Promise.all([loadList(), refreshCurrent(), loadCounts()])
  }

  async function patchTicket(id: number, patch: TicketPatch) {
    const self = patch.assignee_id === meId.value
    if (self) selfAssigning.add(id)
    let tk: Ticket
    try {
      tk = await api.patchTicket(id, patch)
    } finally {
      if (self) setTimeout(() => selfAssigning.delete(id), 3000)
    }
    knownAssignee.set(tk.id, tk.assignee_id ?? 0)
    upsertTicket(tk)
    // The change is recorded as an event message; fetch the timeline if open.
    if (current.value?.id === id) await refreshCurrent()
    scheduleCounts()
    return tk
  }

  async function bulkPatch(ids: number[], patch: TicketPatch) {
    const self = patch.assignee_id === meId.value
    if (self) for (const id of ids) selfAssigning.add(id)
    const results = await Promise.allSettled(ids.map((id) => api.patchTicket(id, patch)))
    if (self) setTimeout(() => ids.forEach((id) => selfAssigning.delete(id)), 3000)
    for (const r of results) {
      if (r.status === 'fulfilled') {
        knownAssignee.set(r.value.id, r.value.assignee_id ?? 0)
        upsertTicket(r.value)
      }
    }
    scheduleCounts()
    return results.filter((r) => r.status === 'rejected').length
  }

  async function postMessage(id: number, text: string, opts: MessageOptions = {}) {
    const m = await api.postMessage(id, text, opts)
    upsertMessage(m)
    return m
  }

  async function retry(messageId: number) {
    upsertMessage(await api.retryMessage(messageId))
  }

  /** cancelSchedule stops a scheduled reply: it stays as cancelled, or leaves the timeline when the server deleted it. */
  async function cancelSchedule(messageId: number) {
    const m = await api.cancelSchedule(messageId)
    if (m?.id) return upsertMessage(m)
    const cur = current.value
    if (cur?.messages.some((x) => x.id === messageId)) current.value = { ...cur, messages: cur.messages.filter((x) => x.id !== messageId) }
  }

  /** setPresence switches this agent between online, away and offline. */
  async function setPresence(p: Presence) {
    myPresence.value = (await api.setPresence(p)).presence
  }

  /** getNext asks the router for the best waiting ticket; returns it, or null when nothing fits. */
  async function getNext(): Promise<Ticket | null> {
    const tk = await api.queueNext()
    if (!tk) return null
    selfAssigning.add(tk.id)
    setTimeout(() => selfAssigning.delete(tk.id), 3000)
    knownAssignee.set(tk.id, tk.assignee_id ?? 0)
    upsertTicket(tk)
    scheduleCounts()
    return tk
  }

  return {
    meId, agents, teams, channels, view, filters, query, list, next, loading, cursor, current, seen, counts, live,
    presence, customerTyping, canned, cannedAvailable, myPresence, setPresence, onEvent, getNext, connect, sendPresence, resendPresence, loadCanned,
    init, loadDirectory, afterFirstList, agentName, teamName, channelName, channelKind, loadList, loadMore, setView, openTicket, refreshCurrent,
    see, unread, loadCounts, applyEvent, catchUp, patchTicket, bulkPatch, postMessage, retry, cancelSchedule, upsertMessage,
  }
})
