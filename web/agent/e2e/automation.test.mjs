// End-to-end: an admin builds an automation rule in the browser, tries it
// on an existing ticket, saves it, and the rule acts on the next matching
// customer message. Run with `npm run e2e` after `npm run build`.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { inbound, openPage, pageAPI, screenshotDir, signIn, startApp } from './harness.mjs'

let app, loket, page, api

before(async () => {
  app = await startApp()
  loket = app.loket
  page = await openPage(app.browser)
  api = pageAPI(page)
  mkdirSync(screenshotDir, { recursive: true })
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
  await signIn(page, app)
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
