// End-to-end: the website chat widget on a shop page of another origin,
// talking to a real Loket server, and an agent answering in the web app.
// Run with `npm run e2e` after building the agent app and the widget.
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import http from 'node:http'
import { after, before, test } from 'node:test'
import { freePort, inbound, launchBrowser, servesApp, startLoket, startProxy } from './harness.mjs'

const identitySecret = 'e2e-identity-secret-1234'
let loket, proxy, browser, agent, base, shop, channelId

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

// api calls the REST API as the signed-in agent from inside the agent page.
async function api(path, data, method = data === undefined ? 'GET' : 'POST') {
  const r = await agent.evaluate(async ([path, data, method]) => {
    const res = await fetch(path, { method, headers: { 'Content-Type': 'application/json' }, body: data === undefined ? undefined : JSON.stringify(data) })
    return { ok: res.ok, status: res.status, text: await res.text() }
  }, [path, data, method])
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${r.text}`)
  return r.text ? JSON.parse(r.text) : null
}

before(async () => {
  loket = await startLoket()
  base = loket.url
  if (!(await servesApp(loket.url))) {
    proxy = await startProxy(loket.url)
    base = proxy.url
  }
  browser = await launchBrowser()
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' })
  agent = await ctx.newPage()
  agent.setDefaultTimeout(15_000)
  await agent.goto(base + '/login')
  await agent.getByLabel('E-mail address').fill(loket.email)
  await agent.getByLabel('Password').fill(loket.password)
  await agent.getByRole('button', { name: 'Sign in' }).click()
  await agent.waitForURL(/\/inbox/)
})

after(async () => {
  await browser?.close()
  await shop?.stop()
  await proxy?.stop()
  await loket?.stop()
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
  visitor.setDefaultTimeout(15_000)

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
    const known = await inbound(loket, { external_id: 'e2e-wc-1', from: { email: 'jan@example.nl', name: 'Jan Jansen' }, text: 'My order 4711' })
    const ctx = await browser.newContext({ viewport: { width: 390, height: 800 }, locale: 'nl-NL', isMobile: true })
    try {
      const page = await ctx.newPage()
      page.setDefaultTimeout(15_000)
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
