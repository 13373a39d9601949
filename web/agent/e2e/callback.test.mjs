// End-to-end: a visitor asks to be called back from the website chat
// widget, on a shop page of another origin, and an agent finds the request
// waiting in the ticket list. Needs a server with the voice channel kind.
// Run with `npm run e2e` after building the agent app and the widget.
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, test } from 'node:test'
import { freePort, openPage, pageAPI, signIn, startApp } from './harness.mjs'

let app, browser, agent, base, api, shop

// startShop serves a page that embeds the widget with the channel's snippet.
async function startShop(port, snippet) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Bike shop</title></head><body><h1>Bike shop</h1>${snippet}</body></html>`)
  })
  await new Promise((r) => server.listen(port, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()) }) }
}

before(async () => {
  app = await startApp()
  ;({ browser, base } = app)
  agent = await openPage(browser)
  api = pageAPI(agent)
  await signIn(agent, app)
})

after(async () => {
  await shop?.stop()
  await app?.stop()
})

test('call me back from the website chat', async (t) => {
  await t.test('an admin points the chat at a voice channel', async (t) => {
    const { teams } = await api('/api/v1/teams')
    let voice
    try {
      voice = await api('/api/v1/channels', {
        kind: 'voice', name: 'Phone', team_id: teams[0].id, settings: { provider: 'cti', token: 'e2e-cti-token-0123456789abcdef' },
      })
    } catch (e) {
      t.skip(`this server has no voice channel kind: ${e.message}`)
      return
    }
    const shopPort = await freePort()
    const ch = await api('/api/v1/channels', {
      kind: 'webchat', name: 'Callback chat', team_id: teams[0].id,
      settings: { title: 'Bike shop support', allowed_origins: [`http://127.0.0.1:${shopPort}`], callback_channel_id: voice.id },
    })
    const { html } = await api(`/api/v1/channels/${ch.id}/snippet`)
    shop = await startShop(shopPort, html)
  })
  if (!shop) return

  // A phone-sized window: the form must fit.
  const visitorCtx = await browser.newContext({ viewport: { width: 375, height: 700 }, locale: 'en-GB' })
  const visitor = await visitorCtx.newPage()
  visitor.setDefaultTimeout(30_000)
  const dialog = visitor.getByRole('dialog', { name: 'Bike shop support' })

  await t.test('the visitor asks to be called back and the chat confirms', async () => {
    await visitor.goto(shop.url + '/')
    await visitor.getByRole('button', { name: 'Open chat' }).click()
    await dialog.getByRole('button', { name: 'Call me back' }).click()
    await dialog.getByLabel('Phone number').fill('06 1234 5678')
    await dialog.getByLabel('Your name').fill('Kees Caller')
    await dialog.getByLabel('At a time I choose').check()
    const day = dialog.getByLabel('Day', { exact: true })
    const days = await day.locator('option').allInnerTexts()
    assert.ok(days.length >= 6 && days.length <= 7, `a week of days: ${days}`)
    await day.selectOption({ index: 1 })
    await dialog.getByLabel('Time', { exact: true }).selectOption('10:30')
    await dialog.getByLabel('What is it about? (optional)').fill('My bell is broken')
    const send = dialog.getByRole('button', { name: 'Request a call' })
    const box = await send.boundingBox()
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `the button fits the phone's width: ${JSON.stringify(box)}`)
    await send.click()
    await dialog.locator('.note[role=status]', { hasText: 'We will call you on +31612345678' }).waitFor()
    assert.equal(await dialog.locator('form.callback').count(), 0)
  })

  await t.test('the agent sees the request in the ticket list', async () => {
    await agent.goto(base + '/inbox/all')
    const row = agent.locator('tr[data-ticket]', { hasText: 'Callback request from +31612345678' })
    await row.waitFor()
    assert.match(await row.innerText(), /Kees Caller/)
  })

  await visitorCtx.close()
})
