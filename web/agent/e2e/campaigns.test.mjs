// End-to-end: a supervisor's campaign. An admin starts one in the browser
// from a message template to the customers with open tickets, and its
// page shows the recipients and follows the counts. Run with
// `npm run e2e` after `npm run build`.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { inbound, openPage, pageAPI, signIn, startApp } from './harness.mjs'

let app, page, api

before(async () => {
  app = await startApp()
  page = await openPage(app.browser)
  api = pageAPI(page)
  await signIn(page, app)
})

after(async () => {
  await app?.stop()
})

test('a campaign started in the browser', async (t) => {
  const status = await page.evaluate(async () => (await fetch('/api/v1/campaigns')).status)
  if (status === 404) return t.skip('no campaigns on this server')
  await api('/api/v1/templates', { name: 'stock-notice', language: 'en', subject: '', body: 'Hello {{.contact.name}}, your item is back in stock.' })
  for (const [i, name] of ['Sara Visser', 'Tom Bakker'].entries()) {
    await inbound(app.loket, { external_id: `e2e-campaign-${i}`, from: { email: `c${i}@example.nl`, name }, subject: 'Stock', text: 'When is it back?' })
  }

  await page.goto(app.base + '/admin/campaigns')
  await page.getByRole('heading', { name: 'Campaigns' }).waitFor()
  await page.getByTestId('new-campaign').click()
  const form = page.getByTestId('campaign-form')
  await form.locator('input[name="campaign-name"]').fill('Back in stock')
  await form.locator('select[name="campaign-template"]').selectOption('stock-notice')
  await form.locator('input[name="campaign-send-hours"]').fill('')
  await form.getByRole('button', { name: 'Start campaign' }).click()

  const detail = page.getByTestId('campaign-detail')
  await detail.getByRole('heading', { name: 'Back in stock' }).waitFor()
  await page.waitForURL(/campaign=\d+/)
  assert.equal(await detail.locator('tbody tr').count(), 2, 'both customers are recipients')
  // the counts follow while recipients are pending, until none are
  await detail.locator('.campaign-counts li[data-state="pending"] strong', { hasText: /^0$/ }).waitFor()
  const list = await api('/api/v1/campaigns')
  assert.equal(list[0].name, 'Back in stock')
  await page.locator('table.campaigns', { hasText: 'Back in stock' }).waitFor()
})
