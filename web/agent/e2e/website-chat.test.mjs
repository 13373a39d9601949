// End-to-end: the README's first-start demo, as a first-time user walks
// it: a visitor asks the FAQ bot on the try page, reads an article with a
// working link, asks for a person and is handed over to the admin, who is
// online from the start; the agent sees a named visitor, what the bot
// offered and only the channels that reach the visitor; the widget keeps
// the newest message in view, also when the rating form appears.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { openPage, pageAPI, signIn, startApp } from './harness.mjs'

let app, loket, browser, agent, base

before(async () => {
  app = await startApp()
  ;({ loket, browser, base } = app)
  agent = await openPage(browser)
  await signIn(agent, app)
})

after(async () => {
  await app?.stop()
})

const api = (p) => pageAPI(agent)(p)

// inView says whether the widget message with text is fully inside the message log's visible area.
const inView = (page, text) =>
  page.locator('[data-loket-chat]').evaluate((host, text) => {
    const log = host.shadowRoot.querySelector('.log')
    const msg = [...log.querySelectorAll('.msg')].filter((m) => m.textContent.includes(text)).pop()
    if (!msg) return false
    const a = log.getBoundingClientRect()
    const b = msg.getBoundingClientRect()
    return b.top >= a.top - 1 && b.bottom <= a.bottom + 1
  }, text)

test('the first-start demo chat, from the visitor to the agent', async (t) => {
  const demo = (await api('/api/v1/channels')).channels.find((c) => c.kind === 'webchat')
  const visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' })
  const visitor = await visitorCtx.newPage()
  visitor.setDefaultTimeout(30_000)
  const dialog = visitor.getByRole('dialog', { name: 'Support' })
  let ticket

  await t.test('the bot answer shows the article formatted, with a working link', async () => {
    await visitor.goto(`${loket.url}/widget/try/${demo.id}`)
    await visitor.getByRole('button', { name: 'Open chat' }).click()
    const box = dialog.getByRole('textbox', { name: 'Your message' })
    await box.fill('I forgot my password')
    await box.press('Enter')
    await dialog.getByRole('button', { name: 'How do I reset my password?' }).click()
    const answer = dialog.locator('.msg.out.bot', { hasText: 'Did this help?' })
    await answer.waitFor()
    const link = answer.getByRole('link', { name: 'Read more' })
    assert.match(await link.getAttribute('href'), /\/help\/en\/articles\/\d+-/)
    assert.equal(await link.getAttribute('target'), '_blank')
    assert.doesNotMatch(await answer.innerText(), /\*\*|https?:\/\//)
    const res = await visitor.request.get(await link.getAttribute('href'))
    assert.equal(res.status(), 200, 'the link opens the article')
  })

  await t.test('handed over to the admin, online from the start; the wait is said once', async () => {
    await dialog.getByRole('button', { name: 'Talk to a person' }).first().click()
    await dialog.locator('.msg.out.bot', { hasText: 'passing your question to our team' }).waitFor()
    const tickets = (await api(`/api/v1/tickets?channel_id=${demo.id}`)).tickets
    ticket = tickets[0]
    assert.equal(ticket.assignee_id > 0 || (await api(`/api/v1/tickets/${ticket.id}`)).assignee_id > 0, true, 'the admin got the chat')
    const text = await dialog.innerText()
    for (const line of ['No one is available', 'Expected wait', 'A colleague will be with you']) {
      assert.ok(text.split(line).length - 1 <= 1, `"${line}" shown more than once:\n${text}`)
    }
  })

  await t.test('the agent sees a named visitor, what the bot offered and only channels that reach the visitor', async () => {
    await agent.goto(`${base}/tickets/${ticket.id}`)
    const name = (await agent.locator('.contact-name').innerText()).trim()
    assert.match(name, new RegExp(`^Visitor \\d{4} · /widget/try/${demo.id}$`))
    assert.match((await agent.locator('.msg.in .address').first().textContent()).trim(), /^From Website chat$/)
    const offered = agent.locator('.msg.out.bot', { hasText: 'These articles may answer' }).locator('[data-testid="offered"]')
    assert.match(await offered.textContent(), /How do I reset my password\?/)
    await agent.locator('.msg.out.bot', { hasText: 'Did this help?' }).getByRole('link', { name: 'Read more' }).waitFor()
    const channels = await agent.locator('#composer-channel option').allInnerTexts()
    assert.deepEqual(channels, [`${demo.name} (webchat)`])
    assert.equal(await agent.locator('#composer-to option').first().innerText(), 'Website chat')
    const list = (await api(`/api/v1/tickets?channel_id=${demo.id}`)).tickets
    assert.equal(list[0].requester, name)
  })

  await t.test('the widget shows the newest message, also under the rating form', async () => {
    const box = agent.getByRole('textbox', { name: 'Message', exact: true })
    for (let i = 1; i <= 6; i++) {
      await box.fill(`Step ${i}: ${'follow the link in the e-mail and choose a new password. '.repeat(3)}`)
      await box.press('Control+Enter')
      await dialog.locator('.msg.out', { hasText: `Step ${i}:` }).waitFor()
    }
    assert.equal(await inView(visitor, 'Step 6:'), true, 'the newest reply is in view')
    await agent.locator('.props select[name="status"]').selectOption('solved')
    await dialog.getByText('How did we do?').first().waitFor()
    await visitor.waitForFunction(
      () => {
        const log = document.querySelector('[data-loket-chat]').shadowRoot.querySelector('.log')
        return log.scrollHeight - log.scrollTop - log.clientHeight < 2
      },
      null,
      { timeout: 5000 },
    )
    assert.equal(await inView(visitor, 'Step 6:'), true, 'the rating form does not hide the last reply')
  })

  await t.test('after a reload the chat opens at the newest message', async () => {
    await visitor.reload()
    await visitor.getByRole('button', { name: 'Open chat' }).click()
    await dialog.locator('.msg.out', { hasText: 'Step 6:' }).waitFor()
    await visitor.waitForFunction(() => {
      const log = document.querySelector('[data-loket-chat]').shadowRoot.querySelector('.log')
      return log.scrollHeight - log.scrollTop - log.clientHeight < 2
    }, null, { timeout: 5000 })
  })

  await visitorCtx.close()
})
