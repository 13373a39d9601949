// End-to-end: customers write in through the demo API channel, an agent
// answers one of them, and the admin opens Reports from the navigation and
// sees the volume, with the filters in the URL; the admin turns on CSAT for
// the channel and finds the survey answers section.
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

test('reports', async (t) => {
  await t.test('the admin sees the volume of the messages just received', async () => {
    const a = await inbound(app.loket, { external_id: 'rep-1', from: { phone: '06 12345678', name: 'Jan Jansen' }, subject: 'Where is my order?', text: 'Order 4711 has not arrived.' })
    await inbound(app.loket, { external_id: 'rep-2', from: { email: 'petra@example.de', name: 'Petra Schmidt' }, subject: 'Rechnung doppelt', text: 'Zwei Rechnungen bekommen.' })
    await inbound(app.loket, { external_id: 'rep-3', from: { email: 'ali@example.nl', name: 'Ali Yilmaz' }, subject: 'Retour', text: 'Hoe stuur ik iets terug?' })
    await api(`/api/v1/tickets/${a.ticket.id}/messages`, { text: 'It left our warehouse this morning.' })

    await page.getByRole('link', { name: 'Reports' }).click()
    await page.waitForURL(/\/reports$/)
    const tickets = page.locator('[data-report="volume"] [data-figure="tickets"] strong')
    await tickets.waitFor()
    assert.equal(await tickets.innerText(), '3')
    assert.equal(await page.locator('[data-report="volume"] [data-figure="messages_in"] strong').innerText(), '3')
    // every figure is new against an empty previous period
    await page.locator('[data-report="volume"] [data-figure="tickets"] .delta.up').waitFor()
    // the heat map and the channel share have the tickets
    assert.match(await page.locator('.heat-map figcaption').innerText(), /Busiest hour: \w+ \d+:00 with [123] tickets/)
    await page.locator('.share-bars tbody tr', { hasText: '100' }).waitFor()
    // the other sections answered too
    for (const id of ['speed', 'sla', 'outcome']) await page.locator(`[data-report="${id}"] .figures`).waitFor()
    assert.equal(await page.locator('.report-section [role="alert"]').count(), 0)
    // the new-ticket toasts would cover the page
    const close = page.locator('.toast button')
    while (await close.count()) await close.first().click()
    // the page scrolls inside the app's main area: a tall window shows all of it
    await page.setViewportSize({ width: 1280, height: 2000 })
    await page.evaluate(() => document.fonts.ready)
    await page.screenshot({ path: path.join(screenshotDir, 'reports.png') })
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  await t.test('filters go into the URL and a shared URL opens the same view', async () => {
    await page.getByLabel('Period', { exact: true }).selectOption('30d')
    await page.waitForURL(/\/reports\?period=30d$/)
    await page.getByLabel('Channel', { exact: true }).selectOption({ value: '1' })
    await page.waitForURL(/channel=1/)
    await page.reload()
    assert.equal(await page.getByLabel('Period', { exact: true }).inputValue(), '30d')
    // the channels arrive after the page: the select shows the URL's once they have
    await page.waitForFunction(() => document.querySelector('#rep-channel option[value="1"]'))
    assert.equal(await page.getByLabel('Channel', { exact: true }).inputValue(), '1')
    await page.locator('[data-report="volume"] [data-figure="tickets"] strong', { hasText: '3' }).waitFor()
  })

  await t.test('the CSV download answers text/csv', async () => {
    const href = await page.locator('[data-report="volume"] a', { hasText: 'Download CSV' }).getAttribute('href')
    assert.match(href, /format=csv/)
    const r = await page.evaluate(async (u) => {
      const res = await fetch(u)
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() }
    }, href)
    assert.equal(r.status, 200)
    assert.match(r.type, /text\/csv/)
    assert.ok(r.text.split('\n').length > 1)
  })

  await t.test('the admin turns CSAT on for the demo API channel; the reports list survey answers', async () => {
    await page.goto(app.base + '/admin/channels')
    const edit = () => page.locator('tr[data-channel="1"]').getByRole('button', { name: 'Edit' }).click()
    await edit()
    const form = page.locator('.api-channel-form')
    assert.equal(await form.getByLabel('Ask CSAT (1–5)').isChecked(), false)
    await form.getByLabel('Ask CSAT (1–5)').check()
    await form.getByLabel('Delay after solve (minutes)').fill('5')
    await form.getByRole('button', { name: 'Save' }).click()
    await form.waitFor({ state: 'detached' })
    const ch = await api('/api/v1/channels/1')
    const settings = (ch.channel ?? ch).settings
    assert.deepEqual({ ...settings.survey, texts: undefined }, { csat: true, nps: false, delay_seconds: 300, nps_interval_days: 90, texts: undefined })
    // after a reload the form shows what was saved
    await page.reload()
    await edit()
    assert.equal(await form.getByLabel('Ask CSAT (1–5)').isChecked(), true)
    assert.equal(await form.getByLabel('Ask NPS (0–10)').isChecked(), false)
    assert.equal(await form.getByLabel('Delay after solve (minutes)').inputValue(), '5')
    await form.getByRole('button', { name: 'Cancel' }).click()

    // no survey has been answered yet: the section says so, without an error
    await page.getByRole('link', { name: 'Reports' }).click()
    const section = page.locator('[data-report="surveys"]')
    await section.getByRole('heading', { name: 'Survey answers' }).waitFor()
    await section.getByText('No answers in this period.').waitFor()
    assert.equal(await section.locator('[data-figure="nps"] dd').innerText(), '–')
    assert.equal(await section.locator('[role="alert"]').count(), 0)
    await section.getByLabel('Kind').selectOption('nps')
    await section.getByText('No answers in this period.').waitFor()
  })

  await t.test('agents have no reports', async () => {
    await api('/api/v1/agents', { email: 'kim@localhost', password: 'kim-password-12', name: 'Kim', role: 'agent', language: 'en', team_ids: [] })
    const p = await openPage(app.browser)
    await p.goto(app.base + '/login')
    await p.getByLabel('E-mail address').fill('kim@localhost')
    await p.getByLabel('Password').fill('kim-password-12')
    await p.getByRole('button', { name: 'Sign in' }).click()
    await p.waitForURL(/\/inbox/)
    await p.getByRole('link', { name: 'All tickets' }).waitFor()
    assert.equal(await p.getByRole('link', { name: 'Reports' }).count(), 0)
    await p.goto(app.base + '/reports')
    await p.waitForURL(/\/inbox\/mine/)
    const r = await p.evaluate(async () => (await fetch('/api/v1/reports/volume')).status)
    assert.equal(r, 403)
    await p.context().close()
  })
})
