// End-to-end: an admin builds an automation rule in the browser, tries it
// on an existing ticket, saves it, and the rule acts on the next matching
// customer message; an outgoing webhook is created, its secret shown once,
// and its deliveries reach a receiver. Run with `npm run e2e` after
// `npm run build`.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { inbound, openPage, pageAPI, screenshotDir, signIn, startApp } from './harness.mjs'

let app, loket, page, api

// The webhook receiver of this test listens on 127.0.0.1, which Loket
// refuses unless told (this file runs in a process of its own).
process.env.LOKET_WEBHOOK_ALLOW_PRIVATE = '1'

before(async () => {
  app = await startApp()
  loket = app.loket
  page = await openPage(app.browser)
  api = pageAPI(page)
  mkdirSync(screenshotDir, { recursive: true })
  await signIn(page, app)
})

after(async () => {
  await app?.stop()
})

// The app scrolls inside its main pane: a taller window shows the whole editor.
async function shot(name) {
  await page.setViewportSize({ width: 1280, height: 1500 })
  await page.locator('form.rule-editor').evaluate((el) => el.scrollIntoView())
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) })
  await page.setViewportSize({ width: 1280, height: 800 })
}

/** eventually retries fn until it returns something truthy (30 s at most). */
async function eventually(fn, what) {
  const end = Date.now() + 30_000
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

test('automation rules', async (t) => {
  // The route itself, not the API description, says whether this server has rules.
  const status = await page.evaluate(async () => (await fetch('/api/v1/rules/schema')).status)
  if (status === 404) return t.skip('no rules on this server')
  const schema = await api('/api/v1/rules/schema')
  // The action that adds tags, whatever the server calls it.
  const tagAction = schema.actions.find((a) => (a.params ?? []).some((p) => p.type === 'tags' || p.name === 'tags' || p.name === 'tag'))
  assert.ok(tagAction, 'the schema has an action that adds a tag')
  const tagParam = tagAction.params.find((p) => p.type === 'tags' || p.name === 'tags' || p.name === 'tag')
  const containsOp = schema.ops.find((o) => o.name === 'contains' && o.types.includes('text'))
  assert.ok(containsOp, 'the schema has a contains operator on text')

  const existing = await inbound(loket, {
    external_id: 'e2e-rule-1', from: { email: 'anna@example.nl', name: 'Anna de Boer' }, subject: 'Broken lamp',
    text: 'The lamp arrived broken. I would like a refund, please.',
  })

  await t.test('an admin builds a rule and tries it on an existing ticket', async () => {
    await page.goto(app.base + '/admin/rules')
    await page.getByRole('heading', { name: 'Rules' }).waitFor()
    await page.getByRole('button', { name: 'New rule' }).click()
    const editor = page.locator('form.rule-editor')
    await editor.locator('input[name="rule-name"]').fill('Refunds get priority')
    await editor.locator('[name="rule-description"]').fill('Customers asking for their money back are answered first.')
    await editor.locator('select[name="rule-trigger"]').selectOption('message.received')
    await editor.getByTestId('add-condition').click()
    const cond = editor.getByTestId('condition').first()
    await cond.locator('select[name="cond-field"]').selectOption('message.text')
    await cond.locator('select[name="cond-op"]').selectOption('contains')
    await cond.locator('input[name="cond-value"]').fill('refund')

    await editor.getByTestId('add-action').click()
    await editor.getByTestId('add-action').click()
    const first = editor.getByTestId('action').nth(0)
    await first.locator('select[name="action-type"]').selectOption('set_priority')
    await first.locator('select[name="param-priority"]').selectOption('high')
    const second = editor.getByTestId('action').nth(1)
    await second.locator('select[name="action-type"]').selectOption(tagAction.type)
    await second.locator(`[name="param-${tagParam.name}"]`).fill('refund')
    await editor.locator('input[name="rule-enabled"]').check()

    await editor.locator('input[name="test-ticket"]').fill(String(existing.ticket.number))
    await editor.getByRole('button', { name: 'Try', exact: true }).click()
    const result = editor.getByTestId('test-result')
    await result.waitFor()
    assert.match(await result.innerText(), /Matches: these actions would run/)
    assert.match(await result.innerText(), /high/i)
    assert.match(await result.innerText(), /refund/)
    await shot('rules')
  })

  await t.test('the rule is saved as version 1 and listed', async () => {
    const editor = page.locator('form.rule-editor')
    await editor.getByRole('button', { name: 'Save', exact: true }).click()
    await page.locator('.toast', { hasText: 'Rule saved as version 1' }).waitFor()
    const row = page.locator('tr[data-rule]', { hasText: 'Refunds get priority' })
    await row.waitFor()
    assert.match(await row.innerText(), /Message received/)
    assert.match(await row.innerText(), /Enabled/)
    const rules = await api('/api/v1/rules')
    const list = Array.isArray(rules) ? rules : rules.rules
    const saved = list.find((r) => r.name === 'Refunds get priority')
    assert.deepEqual(saved.conditions, { all: [{ field: 'message.text', op: 'contains', value: 'refund' }] })
    assert.equal(saved.actions[0].type, 'set_priority')
    assert.equal(saved.actions[0].priority, 'high')
  })

  await t.test('the next matching message gets priority high and the tag, and the run shows on the timeline', async () => {
    const r = await inbound(loket, {
      external_id: 'e2e-rule-2', from: { phone: '06 11112222', name: 'Kees Bakker' }, subject: 'Order 4712',
      text: 'Please send me a refund for order 4712.',
    })
    const tk = await eventually(async () => {
      const x = await api(`/api/v1/tickets/${r.ticket.id}`)
      return x.priority === 'high' && (x.tags ?? []).includes('refund') ? x : null
    }, 'the rule to change the ticket')
    assert.equal(tk.priority, 'high')
    await page.goto(`${app.base}/tickets/${r.ticket.id}`)
    const run = page.locator('.msg.event', { hasText: 'Refunds get priority' })
    await run.waitFor()
    const link = run.getByRole('link', { name: 'Open rule' })
    await link.click()
    await page.waitForURL(/\/admin\/rules\?rule=\d+/)
    await page.locator('form.rule-editor input[name="rule-name"]').waitFor()
    assert.equal(await page.locator('form.rule-editor input[name="rule-name"]').inputValue(), 'Refunds get priority')
  })
})

test('outgoing webhooks', async (t) => {
  const status = await page.evaluate(async () => (await fetch('/api/v1/webhooks')).status)
  if (status === 404) return t.skip('no webhooks on this server')
  const received = []
  const receiver = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.end('ok')
    })
  })
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r))
  t.after(() => new Promise((r) => receiver.close(r)))
  const url = `http://127.0.0.1:${receiver.address().port}/hooks/loket`

  await t.test('the secret of a new webhook is shown once', async () => {
    await page.goto(app.base + '/admin/webhooks')
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor()
    await page.getByRole('button', { name: 'New webhook' }).click()
    await page.locator('input[name="webhook-url"]').fill(url)
    await page.locator('input[name="webhook-events"][value="ticket.created"]').check()
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    const secret = page.getByTestId('webhook-secret')
    await secret.waitFor()
    assert.match(await secret.innerText(), /it will not be shown again/)
    assert.ok((await secret.getByTestId('secret-value').innerText()).trim().length >= 16)
    await secret.getByRole('button', { name: 'I have stored it' }).click()
    await secret.waitFor({ state: 'detached' })
    await page.reload()
    await page.locator('tr[data-webhook]', { hasText: url }).waitFor()
    assert.equal(await page.getByTestId('webhook-secret').count(), 0)
  })

  await t.test('a new ticket is delivered to the receiver and listed as delivered', async () => {
    await inbound(loket, { external_id: 'e2e-hook-1', from: { email: 'piet@example.nl', name: 'Piet' }, subject: 'Hello', text: 'A question about my order.' })
    await eventually(() => received.length > 0, 'the webhook delivery')
    assert.match(received[0].body, /ticket\.created/)
    const row = page.locator('tr[data-webhook]', { hasText: url })
    await row.getByRole('button', { name: 'Deliveries' }).click()
    const delivery = page.locator('tr[data-delivery]').first()
    await delivery.waitFor()
    assert.match(await delivery.innerText(), /ticket\.created/)
    assert.match(await delivery.innerText(), /Delivered/)
  })
})
