// End-to-end: the website chat widget on a shop page of another origin,
// talking to a real Loket server, and an agent answering in the web app;
// then the FAQ bot answering first and handing over to a person.
// Run with `npm run e2e` after building the agent app and the widget.
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import http from 'node:http'
import { after, before, test } from 'node:test'
import { freePort, inbound, openPage, pageAPI, signIn, startApp } from './harness.mjs'

const identitySecret = 'e2e-identity-secret-1234'
let app, loket, browser, agent, base, api, shop, channelId

// startShop serves, on port of its own origin, a page that embeds the
// widget with the channel's snippet and fights it with aggressive CSS;
// ?user=ID adds a signed-in user whose id the "shop" signs.
async function startShop(port, snippet) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${port}`)
    const id = url.searchParams.get('user')
    const user = id
      ? `<script>window.loketChat = ${JSON.stringify({
          user: { id, email: url.searchParams.get('email'), name: 'Jan Jansen', hmac: createHmac('sha256', identitySecret).update(id).digest('hex') },
        })}</script>`
      : ''
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Bike shop</title>
      <style>button { background: hotpink !important; } * { font-family: serif !important; }</style></head>
      <body><h1>Bike shop</h1>${user}${snippet}</body></html>`)
  })
  await new Promise((r) => server.listen(port, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()) }) }
}

// until polls check (an async function) until it returns a truthy value,
// for server state that settles in the background, such as routing.
async function until(what, check, timeout = 30_000) {
  const deadline = Date.now() + timeout
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

before(async () => {
  app = await startApp()
  ;({ loket, browser, base } = app)
  agent = await openPage(browser)
  api = pageAPI(agent)
  await signIn(agent, app)
})

after(async () => {
  await shop?.stop()
  await app?.stop()
})

test('website chat widget', async (t) => {
  let ticket

  await t.test('an admin creates the channel and gets the snippet', async () => {
    const { teams } = await api('/api/v1/teams')
    const shopPort = await freePort()
    const ch = await api('/api/v1/channels', {
      kind: 'webchat', name: 'Shop chat', team_id: teams[0].id,
      settings: { color: '#0b5fff', title: 'Bike shop support', greeting: { en: 'Hi! Ask us anything.' }, prechat: true,
        allowed_origins: [`http://127.0.0.1:${shopPort}`], identity_secret: identitySecret },
    })
    channelId = ch.id
    const { html } = await api(`/api/v1/channels/${ch.id}/snippet`)
    assert.match(html, /<script src="http:\/\/127\.0\.0\.1:\d+\/widget\/loader\.js" data-loket-channel="\d+" async><\/script>/)
    shop = await startShop(shopPort, html)
  })

  const visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'en-GB' })
  const visitor = await visitorCtx.newPage()
  visitor.setDefaultTimeout(30_000)

  await t.test('a visitor fills in the pre-chat form and writes', async () => {
    await visitor.goto(shop.url + '/')
    await visitor.getByRole('button', { name: 'Open chat' }).click()
    const dialog = visitor.getByRole('dialog', { name: 'Bike shop support' })
    await dialog.getByText('Hi! Ask us anything.').waitFor()
    // The shop's CSS does not reach into the widget.
    const bg = await visitor.locator('[data-loket-chat]').evaluate((host) => getComputedStyle(host.shadowRoot.querySelector('.launcher')).backgroundColor)
    assert.equal(bg, 'rgb(11, 95, 255)')
    await dialog.getByLabel('Name').fill('Piet Visitor')
    await dialog.getByLabel('E-mail address (optional)').fill('piet@example.nl')
    await dialog.getByRole('button', { name: 'Start chat' }).click()
    const box = dialog.getByRole('textbox', { name: 'Your message' })
    await box.fill('Does the Gazelle come in blue?')
    await box.press('Enter')
    await dialog.locator('.msg.in', { hasText: 'come in blue' }).waitFor()
  })

  await t.test('the agent sees the ticket live and replies; the visitor sees the reply', async () => {
    await agent.goto(base + '/inbox/all')
    const row = agent.locator('tr[data-ticket]', { hasText: 'come in blue' })
    await row.waitFor()
    ticket = Number(await row.getAttribute('data-ticket'))
    await row.locator('a').first().click()
    await agent.waitForURL(new RegExp(`/tickets/${ticket}$`))
    await agent.locator('.msg.in', { hasText: 'come in blue' }).waitFor()
    await agent.getByRole('textbox', { name: 'Message', exact: true }).fill('Yes, in midnight blue. <b>Shall I reserve one?</b>')
    await agent.getByRole('button', { name: 'Send' }).click()
    const reply = visitor.locator('.msg.out', { hasText: 'midnight blue' })
    await reply.waitFor()
    // Escaped, not rendered: the markup shows as text.
    assert.match(await reply.innerText(), /<b>Shall I reserve one\?<\/b>/)
    assert.equal(await reply.locator('b').count(), 0)
    // The visitor had the chat open: the reply is marked read for the agent.
    await agent.locator('.msg.out', { hasText: 'midnight blue' }).locator('.ds[data-status="read"]').waitFor()
  })

  await t.test('a reload keeps the history', async () => {
    await visitor.reload()
    await visitor.getByRole('button', { name: 'Open chat' }).click()
    const dialog = visitor.getByRole('dialog', { name: 'Bike shop support' })
    await dialog.locator('.msg.in', { hasText: 'come in blue' }).waitFor()
    await dialog.locator('.msg.out', { hasText: 'midnight blue' }).waitFor()
    assert.equal(await dialog.getByLabel('Name').isVisible(), false, 'no pre-chat form the second time')
  })

  await t.test('the visitor rates the solved conversation and the rating is stored', async () => {
    await api(`/api/v1/tickets/${ticket}`, { status: 'solved' }, 'PATCH')
    const dialog = visitor.getByRole('dialog', { name: 'Bike shop support' })
    await dialog.getByText('How did we do?').first().waitFor()
    await dialog.getByRole('button', { name: '4 of 5' }).click()
    await dialog.getByLabel('Anything to add? (optional)').fill('Quick answer')
    await dialog.getByRole('button', { name: 'Send rating' }).click()
    await dialog.getByRole('button', { name: 'Start a new conversation' }).waitFor()
    const tk = await api(`/api/v1/tickets/${ticket}`)
    const rated = tk.ticket ?? tk
    assert.equal(rated.csat_score, 4)
    assert.equal(rated.csat_comment, 'Quick answer')
  })

  await t.test('a verified visitor lands on the existing customer', async () => {
    // The shop's own system knows the customer by its user id (the API channel's from.id).
    const known = await inbound(loket, { external_id: 'e2e-wc-1', from: { id: 'shop-7', email: 'jan@example.nl', name: 'Jan Jansen' }, text: 'My order 4711' })
    const ctx = await browser.newContext({ viewport: { width: 390, height: 800 }, locale: 'nl-NL', isMobile: true })
    try {
      const page = await ctx.newPage()
      page.setDefaultTimeout(30_000)
      await page.goto(`${shop.url}/?user=shop-7&email=jan@example.nl`)
      await page.getByRole('button', { name: 'Open chat' }).click()
      const dialog = page.getByRole('dialog', { name: 'Bike shop support' })
      // Signed-in visitors skip the pre-chat form.
      const box = dialog.getByRole('textbox', { name: 'Your message' })
      await box.fill('Where is order 4711?')
      await box.press('Enter')
      await dialog.locator('.msg.in', { hasText: 'order 4711' }).waitFor()
      // On a phone the window fills the screen.
      const width = await page.locator('[data-loket-chat]').evaluate((host) => host.shadowRoot.querySelector('.panel').getBoundingClientRect().width)
      assert.equal(Math.round(width), 390)
      const { tickets } = await api(`/api/v1/tickets?channel_id=${channelId}`)
      const mine = tickets.find((x) => x.subject.includes('order 4711'))
      assert.ok(mine, 'ticket of the verified visitor')
      assert.equal(mine.contact_id, known.contact.id)
    } finally {
      await ctx.close()
    }
  })

  await visitorCtx.close()
})


test('FAQ bot in the website chat', async (t) => {
  let article

  await t.test('a supervisor publishes an article and switches the bot on', async () => {
    const category = await api('/api/v1/kb/categories', { names: { en: 'Orders and returns' } })
    article = await api('/api/v1/kb/articles', {
      category_id: category.id, language: 'en', status: 'published',
      title: 'How do I return an item?',
      summary: 'Send it back within 30 days with the return label from your order e-mail; we refund within 5 working days.',
      keywords: ['return', 'refund', 'send back'],
      body: 'Print the **return label** from your order e-mail, pack the item and drop it at any post office.',
    })
    await api('/api/v1/kb/articles', {
      category_id: category.id, language: 'en', status: 'published',
      title: 'When will my order arrive?',
      summary: 'Orders placed before 17:00 ship the same day and arrive the next working day.',
      keywords: ['delivery', 'shipping', 'arrive'],
      body: 'Track your parcel with the link in the shipping e-mail.',
    })
    const ch = await api(`/api/v1/channels/${channelId}`)
    const settings = { ...(ch.channel ?? ch).settings, bot: { enabled: true, hours: 'always' } }
    await api(`/api/v1/channels/${channelId}`, { settings }, 'PATCH')
    await agent.goto(base + '/inbox/all')
  })

  const visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'en-GB' })
  const visitor = await visitorCtx.newPage()
  visitor.setDefaultTimeout(30_000)
  const dialog = visitor.getByRole('dialog', { name: 'Bike shop support' })
  const question = 'How can I retrun my bike?' // sic: the bot copes with a typo

  await t.test('the bot answers a question with the right article', async () => {
    await visitor.goto(shop.url + '/')
    await visitor.getByRole('button', { name: 'Open chat' }).click()
    await dialog.getByLabel('Name').fill('Eva Visitor')
    await dialog.getByRole('button', { name: 'Start chat' }).click()
    const box = dialog.getByRole('textbox', { name: 'Your message' })
    await box.fill(question)
    await box.press('Enter')
    await dialog.locator('.msg.in', { hasText: 'retrun my bike' }).waitFor()
    const offer = dialog.locator('.msg.out.bot').first()
    await offer.waitFor()
    // Marked as the bot's, never as a person's.
    assert.equal((await offer.locator('.who .tag').innerText()).toLowerCase(), 'bot')
    assert.match(await offer.locator('.bubble').innerText(), /automated assistant/)
    const choices = await offer.locator('.quick button').allInnerTexts()
    assert.equal(choices[0], 'How do I return an item?', `the best article first: ${choices}`)
    assert.ok(choices.includes('Talk to a person'), `a person is always offered: ${choices}`)
    // The agent's inbox shows the new conversation live.
    await agent.locator('tr[data-ticket]', { hasText: 'retrun my bike' }).waitFor()
  })

  await t.test('the visitor opens the article and reads its summary', async () => {
    await dialog.getByRole('button', { name: 'How do I return an item?' }).click()
    await dialog.locator('.msg.in', { hasText: 'How do I return an item?' }).waitFor()
    const shown = dialog.locator('.msg.out.bot', { hasText: 'within 30 days' })
    await shown.waitFor()
    assert.match(await shown.getByRole('link', { name: 'Read more' }).getAttribute('href'), new RegExp(`/help/en/articles/${article.id}-`))
    assert.match(await shown.innerText(), /Did this help\?/)
  })

  let ticket, number
  await t.test('the visitor asks for a person and is told the wait honestly', async () => {
    // Meanwhile the agent starts work: the team is staffed now, though it
    // was not when the visitor's chat connected.
    await api('/api/v1/session/presence', { presence: 'online' }, 'PUT')
    await until('the agent online in routing', async () => {
      const q = await api('/api/v1/queues')
      return q.agents?.some((a) => a.presence === 'online')
    })
    await dialog.getByRole('button', { name: 'Talk to a person' }).click()
    const handover = dialog.locator('.msg.out.bot', { hasText: 'passing your question to our team' })
    await handover.waitFor()
    // The team is staffed: the bot tells the expected wait, not a closing time.
    const said = await handover.innerText()
    assert.match(said, /Someone will be with you shortly|The expected wait is about \d+ minutes/)
    const banner = dialog.locator('.banner')
    await banner.waitFor()
    const shown = await banner.innerText()
    // The banner and the server's current estimate agree.
    const status = await visitor.evaluate(async ([base, channel]) => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('loket-chat:') && k.endsWith(`:${channel}`))
      const res = await fetch(`${base}/api/v1/webchat/${channel}/session`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ token: localStorage.getItem(key) }) })
      return (await res.json()).status
    }, [loket.url, channelId])
    assert.equal(status.open, true)
    assert.equal(status.staffed, true)
    const minutes = Math.ceil(status.estimated_wait_ms / 60000)
    assert.equal(shown, minutes <= 1 ? 'A colleague will be with you in a moment.' : `Expected wait: about ${minutes} min.`)
    assert.equal(/shortly/.test(said), minutes <= 1, `the bot (${said}) and the banner (${shown}) agree`)
    const { tickets } = await api(`/api/v1/tickets?channel_id=${channelId}`)
    const found = tickets.find((x) => x.subject.includes('retrun my bike'))
    assert.ok(found, 'the conversation has a ticket')
    ;({ id: ticket, number } = found)
  })

  await t.test('the agent sees the handed-over ticket live with the whole transcript', async () => {
    await agent.locator(`tr[data-ticket="${ticket}"]`).waitFor()
    // Routing pushes the handed-over chat to the online agent, who follows
    // the notification to it.
    const pushed = agent.locator('.toast', { hasText: `Assigned to you: #${number}` })
    await pushed.getByRole('link').click()
    await pushed.waitFor({ state: 'detached' })
    await agent.waitForURL(new RegExp(`/tickets/${ticket}$`))
    await agent.locator('.bot-state[data-bot-state="handed_over"]').waitFor()
    const timeline = [
      ['.msg.in', 'retrun my bike'],
      ['.msg.out.bot', 'These articles may answer your question'],
      ['.msg.in', 'How do I return an item?'],
      ['.msg.out.bot', 'within 30 days'],
      ['.msg.in', 'Talk to a person'],
      ['.msg.note', 'FAQ bot handover: the customer asked for a person.'],
      ['.msg.out.bot', 'passing your question to our team'],
    ]
    for (const [sel, text] of timeline) await agent.locator(sel, { hasText: text }).first().waitFor()
    const note = await agent.locator('.msg.note', { hasText: 'FAQ bot handover' }).innerText()
    assert.match(note, /Question: “How can I retrun my bike\?”/)
    assert.match(note, /Read: How do I return an item\?/)
    // In order: each entry after the one before.
    const ids = []
    for (const [sel, text] of timeline) ids.push(Number(await agent.locator(sel, { hasText: text }).first().getAttribute('data-message')))
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'the transcript is in order')
  })

  await t.test('the agent replies and the visitor sees it', async () => {
    const box = agent.getByRole('textbox', { name: 'Message', exact: true })
    await box.fill('Hi Eva, I have sent you a return label by e-mail.')
    // The keyboard, as agents in a hurry do (notifications may cover the button).
    await box.press('Control+Enter')
    const reply = dialog.locator('.msg.out:not(.bot)', { hasText: 'sent you a return label' })
    await reply.waitFor()
    // A person answered: no longer waiting.
    await dialog.locator('.banner').waitFor({ state: 'hidden' })
  })

  await visitorCtx.close()
})

test('the first-start demo chat answers from the demo articles on the try page', async () => {
  const channels = (await api('/api/v1/channels')).channels
  const demo = channels.find((c) => c.name === 'Website chat (demo)')
  assert.ok(demo, `a demo chat channel: ${channels.map((c) => c.name)}`)
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'en-GB' })
  try {
    const page = await ctx.newPage()
    page.setDefaultTimeout(30_000)
    await page.goto(`${loket.url}/widget/try/${demo.id}`)
    await page.getByRole('button', { name: 'Open chat' }).click()
    const dialog = page.getByRole('dialog', { name: 'Support' })
    const box = dialog.getByRole('textbox', { name: 'Your message' })
    await box.fill('I forgot my password')
    await box.press('Enter')
    const offer = dialog.locator('.msg.out.bot').first()
    await offer.waitFor()
    const choices = await offer.locator('.quick button').allInnerTexts()
    assert.equal(choices[0], 'How do I reset my password?', `the demo article first: ${choices}`)
  } finally {
    await ctx.close()
  }
})
