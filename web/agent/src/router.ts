import { createRouter, createWebHistory } from 'vue-router'
import { api } from './api'
import { approvesAnywhere } from './public'
import { useDesk } from './stores/desk'
import { useSession } from './stores/session'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
    { path: '/enrol', name: 'enrol', component: () => import('./views/EnrolView.vue') },
    {
      path: '/',
      component: () => import('./views/ShellView.vue'),
      children: [
        { path: '', redirect: '/inbox/mine' },
        { path: 'inbox/:view', name: 'inbox', component: () => import('./views/TicketListView.vue') },
        { path: 'tickets/:id(\\d+)', name: 'ticket', component: () => import('./views/TicketView.vue') },
        { path: 'search', name: 'search', component: () => import('./views/SearchView.vue') },
        { path: 'contacts', name: 'contacts', component: () => import('./views/ContactsView.vue') },
        { path: 'contacts/:id(\\d+)', name: 'contact', component: () => import('./views/ContactView.vue') },
        { path: 'calls', name: 'calls', component: () => import('./views/CallsView.vue') },
        { path: 'queues', name: 'queues', component: () => import('./views/QueuesView.vue'), meta: { supervisor: true } },
        { path: 'reports', name: 'reports', component: () => import('./views/ReportsView.vue'), meta: { supervisor: true } },
        { path: 'wallboard', name: 'wallboard', component: () => import('./views/WallboardView.vue'), meta: { supervisor: true } },
        { path: 'frontdesk', name: 'frontdesk', component: () => import('./views/FrontDeskView.vue') },
        { path: 'approvals', name: 'approvals', component: () => import('./views/ApprovalsView.vue'), meta: { approver: true } },
        { path: 'kb', name: 'kb', component: () => import('./views/KbView.vue'), meta: { supervisor: true } },
        { path: 'kb/articles/:id(\\d+|new)', name: 'kb-article', component: () => import('./views/KbView.vue'), meta: { supervisor: true } },
        {
          path: 'admin/:section(agents|teams|channels|calendars|sla|canned|rules|templates|webhooks|campaigns)',
          name: 'admin',
          component: () => import('./views/AdminView.vue'),
          meta: { admin: true },
        },
      ],
    },
    { path: '/:rest(.*)*', redirect: '/inbox/mine' },
  ],
})

/** Admin sections a supervisor may open too. */
export const SUPERVISOR_SECTIONS = ['canned', 'templates', 'campaigns']

router.beforeEach(async (to) => {
  const session = useSession()
  if (!session.checked) await session.load().catch(() => null)
  if (to.meta.public) return session.agent && to.name === 'login' ? { path: '/inbox/mine' } : true
  if (!session.agent) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  // A role that requires two-factor sign-in sees nothing else until it is set up.
  if (session.twoFactorRequired) return to.name === 'enrol' ? true : { name: 'enrol' }
  if (to.name === 'enrol') return { path: '/inbox/mine' }
  if (to.meta.supervisor && session.agent.role === 'agent') return { path: '/inbox/mine' }
  if (to.meta.approver && session.agent.role === 'agent') {
    // An agent a channel names as approver reviews replies too.
    const desk = useDesk()
    const channels = desk.channels.length ? desk.channels : ((await api.channels().catch(() => null))?.channels ?? [])
    if (!approvesAnywhere(session.agent, channels)) return { path: '/inbox/mine' }
  }
  if (to.meta.admin && session.agent.role !== 'admin') {
    // supervisors manage canned responses and message templates
    const section = String(to.params.section)
    if (!(SUPERVISOR_SECTIONS.includes(section) && session.agent.role === 'supervisor')) return { path: '/inbox/mine' }
  }
  return true
})
