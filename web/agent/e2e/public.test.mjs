// End-to-end: a public conversation and its second pair of eyes. A review
// comes in on the demo API channel as a public post; the admin names two
// approvers for the channel's public replies and a tone guide. The agent
// answers in public: the composer flags the e-mail address in the reply,
// the agent confirms it and the reply waits for approval, which the agent
// cannot give to their own reply. The supervisor approves it from the
// approvals list and the reply goes out as a public answer to the post.
// Last, the admin takes the conversation private. Run with `npm run e2e`
// after `npm run build`.
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

/** signInAs opens a browser context of its own for another agent. */
async function signInAs(email, password) {
  const ctx = await app.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' })
  const p = await ctx.newPage()
  p.setDefaultTimeout(30_000)
  await p.goto(app.base + '/login')
  await p.getByLabel('E-mail address').fill(email)
  await p.getByLabel('Password').fill(password)
  await p.getByRole('button', { name: 'Sign in' }).click()
  await p.waitForURL(/\/inbox/)
  return { p, close: () => ctx.close() }
}

test('a public reply checked, held and approved by a second person', async (t) => {
  const { channels: initial } = await api('/api/v1/channels')
  if (!initial.find((c) => c.id === 1)?.capabilities?.public) return t.skip('the API channel carries no public posts on this server')

  // The demo API channel delivers replies to this test's receiver.
  await api('/api/v1/channels/1', {
    settings: { webhook_url: `http://127.0.0.1:${receiver.address().port}/replies`, secret: 'e2e-public-secret-0123456789' },
  }, 'PATCH')
  const ada = await api('/api/v1/agents', {
    email: 'ada@localhost', password: 'ada-password-123', name: 'Ada Agent', role: 'agent', language: 'en', team_ids: [],
  })
  const sam = await api('/api/v1/agents', {
    email: 'sam@localhost', password: 'sam-password-123', name: 'Sam Supervisor', role: 'supervisor', language: 'en', team_ids: [],
  })
  const r = await inbound(app.loket, {
    external_id: 'e2e-review-1', thread: 'review-1', from: { id: 'reviewer-555', name: 'Sara Visser' }, language: 'en',
    subject: 'Review', text: 'Parcel came two weeks late and nobody answered my mails.',
    public: {
      url: 'https://reviews.example.com/shop/review/1', author_url: 'https://reviews.example.com/user/555', rating: 2,
      post_text: 'Example Shop', post_url: 'https://reviews.example.com/shop',
    },
  })
  const ticket = await api(`/api/v1/tickets/${r.ticket.id}`)
  assert.equal(ticket.public, true, 'a public post opens a public ticket')
  assert.equal(ticket.messages[0].public.rating, 2)
  await api(`/api/v1/tickets/${ticket.id}`, { assignee_id: ada.id }, 'PATCH')

  await t.test('the admin names the approvers of public replies and a tone guide', async () => {
    await page.goto(app.base + '/admin/channels')
    await page.locator('tr[data-channel="1"]').getByRole('button', { name: 'Public replies' }).click()
    const form = page.locator('form.public-settings')
    assert.equal(await form.getByLabel('Public replies need approval').isChecked(), true, 'approval is on by default')
    await form.getByLabel(/Ada Agent/).check()
    await form.getByLabel(/Sam Supervisor/).check()
    await form.getByLabel('Tone guide (link)').fill('https://intranet.example.com/tone-of-voice')
    await form.getByRole('button', { name: 'Save' }).click()
    await form.waitFor({ state: 'detached' })
    const { channels } = await api('/api/v1/channels')
    const demo = channels.find((c) => c.id === 1)
    assert.deepEqual([...demo.approvers].sort((a, b) => a - b), [ada.id, sam.id].sort((a, b) => a - b))
    assert.equal(demo.approval, '')
    assert.equal(demo.tone_guide_url, 'https://intranet.example.com/tone-of-voice')
  })

  await t.test('the agent answers in public: personal data is flagged and confirmed, the reply waits', async () => {
    const { p, close } = await signInAs('ada@localhost', 'ada-password-123')
    try {
      await p.goto(app.base + '/inbox/mine')
      await p.locator(`tr[data-ticket="${ticket.id}"] .badge.public`, { hasText: 'Public' }).waitFor()
      await p.goto(`${app.base}/tickets/${ticket.id}`)
      await p.getByTestId('public-badge').waitFor()
      const post = p.getByTestId('public-post')
      assert.equal(await post.locator('.stars').textContent(), '★★☆☆☆')
      const see = post.getByRole('link', { name: /See it on the site/ })
      assert.equal(await see.getAttribute('href'), 'https://reviews.example.com/shop/review/1')
      assert.equal(await see.getAttribute('target'), '_blank')
      assert.match(await see.getAttribute('rel'), /noopener/)
      await post.getByText('Example Shop').waitFor()
      assert.equal(await post.locator('.moderation').count(), 0, 'the API channel has no moderation')

      await p.getByRole('radio', { name: /Reply/ }).click()
      const notice = p.getByTestId('public-reply')
      await notice.getByText('Public reply — needs approval').waitFor()
      assert.equal(await notice.getByRole('link', { name: /Read the tone guide/ }).getAttribute('href'), 'https://intranet.example.com/tone-of-voice')
      const text = 'Sorry Sara, that is not how it should go. Mail us at care@example-shop.nl and we will sort it out.'
      await p.getByRole('textbox', { name: 'Message', exact: true }).fill(text)
      const check = p.getByTestId('public-check')
      await check.locator('.findings li[data-kind="email"]', { hasText: 'E-mail address: care@example-shop.nl' }).waitFor()
      await check.locator('[data-check="length"]', { hasText: `${[...text].length} characters` }).waitFor()
      assert.equal(await p.getByLabel('Ask a supervisor to approve').count(), 0, 'a public reply waits for approval anyway')

      await p.getByRole('button', { name: 'Send', exact: true }).click()
      const confirm = p.getByRole('alertdialog')
      await confirm.getByText(/contains personal data \(E-mail address: care@example-shop\.nl\)/).waitFor()
      await confirm.getByRole('button', { name: 'I checked it, send' }).click()
      const msg = p.locator('.msg.out', { hasText: 'Mail us at care@example-shop.nl' })
      await msg.locator('.ds[data-status="awaiting_approval"]', { hasText: 'Waiting for approval' }).waitFor()
      assert.equal(await msg.getByRole('button', { name: 'Approve' }).count(), 0, 'the writer is not offered to approve')
      await p.screenshot({ path: path.join(screenshotDir, 'public-reply.png') })

      // Named as approver, the agent has an approvals page, but not for their own reply.
      await p.getByRole('link', { name: /Approvals/ }).click()
      const row = p.locator('.approvals-list li', { hasText: 'Mail us at care@example-shop.nl' })
      await row.waitFor()
      assert.equal(await row.getByRole('button', { name: 'Approve' }).count(), 0)
      const mid = Number(await row.getAttribute('data-message'))
      const own = await p.evaluate(async (id) => {
        const res = await fetch(`/api/v1/messages/${id}/approve`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
        return { status: res.status, body: await res.json() }
      }, mid)
      assert.equal(own.status, 422)
      assert.equal(own.body.error.code, 'own_reply')
    } finally {
      await close()
    }
    assert.deepEqual(delivered, [], 'nothing went out before approval')
  })

  await t.test('the supervisor approves it and it goes out as a public answer to the post', async () => {
    const { p, close } = await signInAs('sam@localhost', 'sam-password-123')
    try {
      const link = p.getByRole('link', { name: /Approvals/ })
      await link.getByTestId('approvals-count').filter({ hasText: '1' }).waitFor()
      await link.click()
      const row = p.locator('.approvals-list li', { hasText: 'Mail us at care@example-shop.nl' })
      await row.getByText('Ada Agent').waitFor()
      await row.getByRole('button', { name: 'Approve', exact: true }).click()
      await row.waitFor({ state: 'detached' })
      await p.goto(`${app.base}/tickets/${ticket.id}`)
      const msg = p.locator('.msg.out', { hasText: 'Mail us at care@example-shop.nl' })
      await msg.locator('.ds[data-status="sent"], .ds[data-status="delivered"]').waitFor()
    } finally {
      await close()
    }
    assert.equal(delivered.length, 1)
    assert.match(delivered[0].message.text, /Mail us at care@example-shop\.nl/)
    assert.equal(delivered[0].message.public, true)
    assert.equal(delivered[0].message.reply_to, 'e2e-review-1')
  })

  await t.test('the admin takes the conversation private and lands on the new private ticket', async () => {
    await page.goto(`${app.base}/tickets/${ticket.id}`)
    await page.getByRole('button', { name: /Take it private/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Take the conversation private' })
    const pub = dialog.getByLabel('Public reply')
    assert.match(await pub.inputValue(), /Thank you for your message/)
    await dialog.getByLabel('Private message').fill('Hi Sara, could you send us your order number?')
    await dialog.getByRole('button', { name: 'Reply and go private' }).click()
    await page.waitForURL((u) => /\/tickets\/\d+$/.test(u.pathname) && !u.pathname.endsWith(`/${ticket.id}`))
    await page.locator('.msg.out', { hasText: 'could you send us your order number?' }).waitFor()
    assert.equal(await page.getByTestId('public-badge').count(), 0, 'the new ticket is private')
    const back = await api(`/api/v1/tickets/${ticket.id}`)
    const held = back.messages.filter((m) => m.direction === 'out' && m.delivery_status === 'awaiting_approval')
    assert.equal(held.length, 1, 'the short public reply waits for approval')
    assert.match(held[0].text, /Thank you for your message/)
  })
})
