// End-to-end: a second pair of eyes. An agent asks a supervisor to approve
// a reply; the admin finds it in the approvals list, corrects it and
// approves it, and the ticket shows the reply on its way and who approved
// it. Run with `npm run e2e` after `npm run build`.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { inbound, openPage, pageAPI, screenshotDir, signIn, startApp } from './harness.mjs'

let app, page, api, receiver
// What the demo channel's webhook received: the replies as sent.
const delivered = []

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      delivered.push(JSON.parse(body))
      res.writeHead(200).end()
    })
  })
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r))
  app = await startApp()
  page = await openPage(app.browser)
  api = pageAPI(page)
  mkdirSync(screenshotDir, { recursive: true })
  await signIn(page, app)
})

after(async () => {
  await app?.stop()
  receiver?.close()
})

test('a reply approved by a second person', async (t) => {
  const status = await page.evaluate(async () => (await fetch('/api/v1/approvals')).status)
  if (status === 404) return t.skip('no approvals on this server')

  // The demo API channel delivers replies to this test's receiver.
  await api('/api/v1/channels/1', {
    settings: { webhook_url: `http://127.0.0.1:${receiver.address().port}/replies`, secret: 'e2e-approvals-secret-0123456789' },
  }, 'PATCH')
  const agent = await api('/api/v1/agents', {
    email: 'jan@localhost', password: 'jan-password-123', name: 'Jan Jansen', role: 'agent', language: 'en', team_ids: [],
  })
  const r = await inbound(app.loket, {
    external_id: 'e2e-approval-1', from: { email: 'sara@example.nl', name: 'Sara Visser' }, subject: 'Refund',
    text: 'Where is my refund for order 1042?',
  })
  const ticket = r.ticket
  await api(`/api/v1/tickets/${ticket.id}`, { assignee_id: agent.id }, 'PATCH')

  await t.test('an agent asks a supervisor to approve a reply', async () => {
    const ctx = await app.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' })
    const p2 = await ctx.newPage()
    p2.setDefaultTimeout(30_000)
    try {
      await p2.goto(app.base + '/login')
      await p2.getByLabel('E-mail address').fill('jan@localhost')
      await p2.getByLabel('Password').fill('jan-password-123')
      await p2.getByRole('button', { name: 'Sign in' }).click()
      await p2.waitForURL(/\/inbox/)
      await p2.goto(`${app.base}/tickets/${ticket.id}`)
      await p2.getByRole('radio', { name: /Reply/ }).click()
      await p2.getByRole('textbox', { name: 'Message', exact: true }).fill('Your refnud is on its way.')
      await p2.getByLabel('Ask a supervisor to approve').check()
      await p2.getByRole('button', { name: 'Send' }).click()
      const msg = p2.locator('.msg.out', { hasText: 'Your refnud is on its way.' })
      await msg.locator('.ds[data-status="awaiting_approval"]', { hasText: 'Waiting for approval' }).waitFor()
      assert.equal(await msg.getByRole('button', { name: 'Approve' }).count(), 0, 'an agent cannot approve')
      assert.equal(await p2.getByRole('link', { name: /Approvals/ }).count(), 0, 'an agent has no approvals page')
    } finally {
      await ctx.close()
    }
  })

  await t.test('the admin edits and approves it from the approvals list', async () => {
    await page.goto(app.base + '/inbox/mine')
    const link = page.getByRole('link', { name: /Approvals/ })
    await link.getByTestId('approvals-count').filter({ hasText: '1' }).waitFor()
    await link.click()
    await page.getByRole('heading', { name: 'Replies waiting for approval' }).waitFor()
    const row = page.locator('.approvals-list li', { hasText: 'Your refnud is on its way.' })
    await row.getByText('Jan Jansen').waitFor()
    await row.getByRole('button', { name: 'Edit and approve' }).click()
    const box = row.getByLabel('The reply as it will be sent')
    assert.equal(await box.inputValue(), 'Your refnud is on its way.')
    await box.fill('Your refund for order 1042 is on its way.')
    await row.getByRole('button', { name: 'Approve this text' }).click()
    await row.waitFor({ state: 'detached' })
    await page.getByText('No replies are waiting for approval.').waitFor()
  })

  await t.test('the ticket shows the approved reply on its way and who approved it', async () => {
    await page.goto(`${app.base}/tickets/${ticket.id}`)
    const msg = page.locator('.msg.out', { hasText: 'Your refund for order 1042 is on its way.' })
    await msg.waitFor()
    const ds = await msg.locator('.ds').getAttribute('data-status')
    assert.ok(['queued', 'sent', 'delivered', 'read'].includes(ds), `delivery status ${ds}`)
    await msg.locator('.ds[data-status="sent"], .ds[data-status="delivered"]').waitFor()
    assert.deepEqual(delivered.map((d) => d.message.text), ['Your refund for order 1042 is on its way.'], 'only the approved text went out')
    await page.locator('.msg.event', { hasText: /Reply edited and approved by/ }).waitFor()
    await page.setViewportSize({ width: 1280, height: 1000 })
    await page.screenshot({ path: path.join(screenshotDir, 'approvals.png') })
    await page.setViewportSize({ width: 1280, height: 800 })
  })
})
