import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it } from 'vitest'
import { router } from '../router'
import { useSession } from '../stores/session'
import { agent } from './fixtures'
import type { Role } from '../types'

// Navigation resolves the route's component; the sections themselves are not rendered here.
async function landsOn(role: Role, path: string): Promise<string> {
  setActivePinia(createPinia())
  const session = useSession()
  session.agent = agent(1, 'Ann', { role })
  session.checked = true
  await router.push('/inbox/mine')
  await router.push(path)
  return router.currentRoute.value.fullPath
}

describe('who opens the automation sections', () => {
  it('lets an admin open rules, webhooks and message templates, and a rule by its link', async () => {
    for (const p of ['/admin/rules', '/admin/webhooks', '/admin/templates', '/admin/rules?rule=3']) expect(await landsOn('admin', p)).toBe(p)
  })
  it('lets a supervisor manage message templates, as canned responses, but not rules or webhooks', async () => {
    expect(await landsOn('supervisor', '/admin/templates')).toBe('/admin/templates')
    expect(await landsOn('supervisor', '/admin/canned')).toBe('/admin/canned')
    expect(await landsOn('supervisor', '/admin/rules')).toBe('/inbox/mine')
    expect(await landsOn('supervisor', '/admin/webhooks')).toBe('/inbox/mine')
  })
  it('keeps agents out of all of them', async () => {
    for (const p of ['/admin/rules', '/admin/webhooks', '/admin/templates']) expect(await landsOn('agent', p)).toBe('/inbox/mine')
  })
})
