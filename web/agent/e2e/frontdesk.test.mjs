// End-to-end: a visit at the front desk. The receptionist checks a visitor
// in, the waiting-room display (a second tab, signed in as nobody) shows
// the number appear, an agent calls it to their counter and the display
// follows, the agent ends the visit with a note, and the ticket's timeline
// shows the visit with its times. Run with `npm run e2e` after `npm run build`.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { openPage, pageAPI, screenshotDir, signIn, startApp } from './harness.mjs'

let app, page, api

before(async () => {
  app = await startApp()
  page = await openPage(app.browser)
  api = pageAPI(page)
  mkdirSync(screenshotDir, { recursive: true })
  await signIn(page, app)
})

after(async () => {
  await app?.stop()
})

test('a visitor checked in, called, served and found on the ticket', async (t) => {
  const status = await page.evaluate(async () => (await fetch('/api/v1/visits?channel_id=1')).status)
  if (status === 404) return t.skip('no front desk on this server')

  const { teams } = await api('/api/v1/teams')
  const channel = await api('/api/v1/channels', { kind: 'desk', name: 'Utrecht office', team_id: teams[0].id, settings: { prefix: 'A' } })
  // The app reads the channels when it starts.
  await page.goto(app.base + '/inbox/mine')
  await page.getByRole('link', { name: 'Front desk' }).click()
  await page.getByRole('heading', { name: 'Front desk' }).waitFor()

  const href = await page.getByTestId('display-link').getAttribute('href')
  assert.equal(href, `/desk/${channel.id}/display`)
  const screen = await openPage(app.browser)
  await screen.goto(app.loket.url + href)
  await screen.getByRole('heading', { name: 'Utrecht office' }).waitFor()
  await screen.getByTestId('wait').filter({ hasText: 'No wait' }).waitFor()

  await t.test('the checked-in number appears on the display', async () => {
    const form = page.getByRole('form', { name: 'Check a visitor in' })
    await form.getByLabel('Phone').fill('06 12345678')
    await form.getByLabel('Name').fill('Sara Visser')
    await form.getByLabel('Topic').fill('Parking permit')
    await form.getByRole('button', { name: 'Check in' }).click()
    await page.getByTestId('checked-in').filter({ hasText: 'A001' }).waitFor()
    await page.locator('.frontdesk-waiting tr', { hasText: 'Sara Visser' }).filter({ hasText: 'A001' }).waitFor()

    await screen.getByTestId('waiting').getByText('A001').waitFor()
    await screen.getByTestId('wait').filter({ hasText: 'Expected wait: about 7 min' }).waitFor()
    const shown = await screen.locator('body').innerText()
    for (const secret of ['Sara', 'Visser', '612345678', 'Parking']) assert.ok(!shown.includes(secret), `the display shows ${secret}`)
  })

  await t.test('calling the next visitor shows the number and counter on the display', async () => {
    await page.getByLabel('Counter').fill('Desk 2')
    await page.getByRole('button', { name: 'Call next' }).click()
    const current = page.getByRole('article', { name: 'Visitor A001' })
    await current.getByText('Sara Visser').waitFor()

    const serving = screen.getByTestId('serving').locator('li', { hasText: 'A001' })
    await serving.filter({ hasText: 'Desk 2' }).waitFor()
    await screen.getByTestId('waiting').getByText('A001').waitFor({ state: 'detached' })
    await screen.setViewportSize({ width: 1280, height: 720 })
    await screen.screenshot({ path: path.join(screenshotDir, 'frontdesk-display.png') })
  })

  await t.test('the finished visit is on the ticket timeline with its duration', async () => {
    const current = page.getByRole('article', { name: 'Visitor A001' })
    await current.getByLabel('Notes').fill('Permit renewed for two years')
    await page.screenshot({ path: path.join(screenshotDir, 'frontdesk.png') })
    await current.getByRole('button', { name: 'Done' }).click()
    await current.waitFor({ state: 'detached' })
    await screen.getByTestId('serving').locator('li', { hasText: 'A001' }).waitFor({ state: 'detached' })

    await page.getByTestId('checked-in').getByRole('link').click()
    const entry = page.locator('.msg.kind-visit', { hasText: 'A001' })
    await entry.getByTestId('visit-served').waitFor()
    await entry.getByText('Permit renewed for two years').waitFor()
    await entry.getByText('served', { exact: true }).waitFor()
    await entry.getByTestId('visit-waited').waitFor()
    await page.locator('.msg.event', { hasText: 'Visitor A001 served at Desk 2' }).waitFor()
  })
  await screen.context().close()
})
