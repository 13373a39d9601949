// End-to-end: with the admin away, customers' tickets wait in the Support
// queue; the admin answers and solves one, opens the wallboard from the
// navigation and sees what waits, the agents by presence, and today's
// volume and service level against the target in the URL; a new message
// shows up without a reload.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { inbound, openPage, pageAPI, screenshotDir, signIn, startApp } from './harness.mjs'

let app, page, api

before(async () => {
  app = await startApp()
  page = await openPage(app.browser)
  await signIn(page, app)
  api = pageAPI(page)
  mkdirSync(screenshotDir, { recursive: true })
})

after(async () => {
  await app?.stop()
})

test('wallboard', async (t) => {
  await t.test('shows the queues, agents and today’s service level, and follows new work', async () => {
    await api('/api/v1/sla-policies', { name: 'Wall', enabled: true, position: 1, warn_percent: 80, targets: { normal: { first_response: 60, next_response: 120, resolution: 2880 } } })
    await api('/api/v1/session/presence', { presence: 'away' }, 'PUT')
    const first = await inbound(app.loket, { external_id: 'wall-1', from: { email: 'jan@example.nl', name: 'Jan Jansen' }, subject: 'Where is my order?', text: 'Order 4711 has not arrived.' })
    await inbound(app.loket, { external_id: 'wall-2', from: { email: 'petra@example.de', name: 'Petra Schmidt' }, subject: 'Rechnung', text: 'Zwei Rechnungen bekommen.' })
    await inbound(app.loket, { external_id: 'wall-3', from: { phone: '06 12345678', name: 'Ali Yilmaz' }, subject: 'Retour', text: 'Hoe stuur ik iets terug?' })
    await api(`/api/v1/tickets/${first.ticket.id}/messages`, { text: 'It left our warehouse this morning.' })
    await api(`/api/v1/tickets/${first.ticket.id}`, { status: 'solved' }, 'PATCH')

    await page.getByRole('link', { name: 'Wallboard' }).click()
    await page.waitForURL(/\/wallboard$/)
    const figure = (name) => page.locator(`[data-figure="${name}"] strong`)
    await page.locator('[data-figure="tickets"] strong', { hasText: /^3$/ }).waitFor()
    assert.equal(await figure('waiting').innerText(), '2')
    assert.equal(await figure('solved').innerText(), '1')
    assert.equal(await figure('service-level').innerText(), '100.0%')
    assert.match(await page.locator('[data-figure="service-level"] small').innerText(), /target 80% · 1 met, 0 breached, 2 running/)
    await page.locator('[data-presence="away"] li', { hasText: 'Admin' }).waitFor()
    await page.locator('.wall-table', { hasText: 'Support' }).locator('tr[data-kind="api"] .waiting', { hasText: /^2$/ }).waitFor()

    // the target comes from the URL; a new message arrives without a reload
    await page.goto(app.base + '/wallboard?target=95')
    await page.locator('[data-figure="service-level"] small', { hasText: 'target 95%' }).waitFor()
    await inbound(app.loket, { external_id: 'wall-4', from: { email: 'sanne@example.nl', name: 'Sanne' }, subject: 'Adres wijzigen', text: 'Ik ben verhuisd.' })
    await page.locator('[data-figure="waiting"] strong', { hasText: /^3$/ }).waitFor()
    await page.locator('[data-figure="tickets"] strong', { hasText: /^4$/ }).waitFor()
    await page.locator('.toast button').evaluateAll((buttons) => buttons.forEach((b) => b.click()))
    await page.setViewportSize({ width: 1600, height: 900 })
    await page.evaluate(() => document.fonts.ready)
    await page.screenshot({ path: path.join(screenshotDir, 'wallboard.png') })
  })

  await t.test('agents are sent back from the wallboard and get 403 from its figures', async () => {
    const agent = { email: 'wall-agent@example.nl', name: 'Wall Agent', role: 'agent', password: 'wall-agent-password-1', language: 'en', team_ids: [] }
    await api('/api/v1/agents', agent)
    const other = await openPage(app.browser)
    await other.goto(app.base + '/login')
    await other.getByLabel('E-mail address').fill(agent.email)
    await other.getByLabel('Password').fill(agent.password)
    await other.getByRole('button', { name: 'Sign in' }).click()
    await other.waitForURL(/\/inbox/)
    assert.equal(await other.getByRole('link', { name: 'Wallboard' }).count(), 0)
    await other.goto(app.base + '/wallboard')
    await other.waitForURL(/\/inbox\/mine$/)
    const status = await other.evaluate(async () => (await fetch('/api/v1/reports/today')).status)
    assert.equal(status, 403)
    await other.context().close()
  })
})
