// The desk store: directory data (agents, teams, channels), the current
// ticket list and ticket, unread markers, and realtime event application.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { api, type TicketQuery } from '../api'
import { t } from '../i18n'
import {
  ACTIVE, applyMessage, applyTicket, effectiveQuery, isUnread, loadSeen, markSeen, matches, saveSeen,
  type Filters, type SeenMap,
} from '../logic'
import type { Agent, Channel, Message, StreamEvent, Team, Ticket, TicketDetail, TicketPatch } from '../types'
import { toast } from './toasts'

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

  let listSeq = 0
  let refetchTimer: ReturnType<typeof setTimeout> | null = null
  let countTimer: ReturnType<typeof setTimeout> | null = null

  function init(me: Agent) {
    meId.value = me.id
    seen.value = loadSeen(localStorage, me.id)
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

  async function loadList() {
    const seq = ++listSeq
    loading.value = true
    try {
      const page = await api.tickets({ ...query.value, limit: 100 })
      if (seq !== listSeq) return
      list.value = page.tickets
      next.value = page.next
      if (cursor.value >= list.value.length) cursor.value = Math.max(0, list.value.length - 1)
    } finally {
      if (seq === listSeq) loading.value = false
    }
  }

  async function loadMore() {
    if (!next.value) return
    const seq = listSeq
    const page = await api.tickets({ ...query.value, limit: 100, cursor: next.value })
    if (seq !== listSeq) return
    const ids = new Set(list.value.map((x) => x.id))
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
    ]
    await Promise.all(
      views.map(async ([k, q]) => {
        try {
          const p = await api.tickets({ ...q, limit: 200 })
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
      current.value = { ...cur, ...tk }
      if (typeof document === 'undefined' || document.visibilityState !== 'hidden') see(tk)
    }
  }

  function upsertMessage(m: Message) {
    const cur = current.value
    if (cur && cur.id === m.ticket_id) current.value = { ...cur, messages: applyMessage(cur.messages, m) }
  }

  /** applyEvent folds one realtime event into the store. */
  function applyEvent(ev: StreamEvent) {
    switch (ev.type) {
      case 'ticket.created':
      case 'ticket.updated':
        if (ev.ticket) {
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
    const tk = await api.patchTicket(id, patch)
    upsertTicket(tk)
    // The change is recorded as an event message; fetch the timeline if open.
    if (current.value?.id === id) await refreshCurrent()
    scheduleCounts()
    return tk
  }

  async function bulkPatch(ids: number[], patch: TicketPatch) {
    const results = await Promise.allSettled(ids.map((id) => api.patchTicket(id, patch)))
    for (const r of results) if (r.status === 'fulfilled') upsertTicket(r.value)
    scheduleCounts()
    return results.filter((r) => r.status === 'rejected').length
  }

  async function postMessage(id: number, text: string, note: boolean) {
    const m = await api.postMessage(id, text, note)
    upsertMessage(m)
    return m
  }

  async function retry(messageId: number) {
    upsertMessage(await api.retryMessage(messageId))
  }

  return {
    meId, agents, teams, channels, view, filters, query, list, next, loading, cursor, current, seen, counts, live,
    init, loadDirectory, agentName, teamName, channelName, loadList, loadMore, setView, openTicket, refreshCurrent,
    see, unread, loadCounts, applyEvent, catchUp, patchTicket, bulkPatch, postMessage, retry,
  }
})
