// End-to-end: a real Loket server, a real browser. Run with `npm run e2e`
// after `npm run build` (the test builds nothing itself).
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { inbound, openPage, pageAPI, screenshotDir, startApp } from './harness.mjs'

let app, loket, browser, page, base, apiPost

before(async () => {
  app = await startApp()
  ;({ loket, browser, base } = app)
  page = await openPage(browser)
  // API calls as the signed-in agent, from inside the page (same origin, session cookie).
  apiPost = pageAPI(page)
  mkdirSync(screenshotDir, { recursive: true })
})

after(async () => {
  await app?.stop()
})

const shot = (name) => page.screenshot({ path: path.join(screenshotDir, `${name}.png`) })
let routes = new Set()

test('agent web app', async (t) => {
  let ticketA

  await t.test('log in', async () => {
    await page.goto(base + '/')
    await page.waitForURL(/\/login/)
    await page.getByLabel('E-mail address').fill(loket.email)
    await page.getByLabel('Password').fill('wrong password!!')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').waitFor()
    await page.reload()
    await page.getByLabel('E-mail address').fill(loket.email)
    await page.getByLabel('Password').fill(loket.password)
    await shot('login')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL((u) => u.pathname === '/inbox/mine')
    const spec = await (await fetch(base + '/api/v1/openapi.json')).json()
    routes = new Set(Object.keys(spec.paths))
    // An SLA policy for every ticket, so that countdowns show.
    await apiPost('/api/v1/sla-policies', {
      name: 'E2E standard', enabled: true, position: 1, warn_percent: 80,
      targets: { normal: { first_response: 60, next_response: 120, resolution: 2880 }, urgent: { first_response: 15, resolution: 240 } },
    })
    await page.getByRole('link', { name: 'All tickets' }).click()
    await page.waitForURL(/\/inbox\/all/)
    await page.locator('.live.on').waitFor()
  })

  await t.test('a customer message appears without reload', async () => {
    const url = page.url()
    const r = await inbound(loket, {
      external_id: 'e2e-1',
      from: { phone: '06 12345678', name: 'Jan Jansen' },
      subject: 'Where is my order?',
      text: 'Hello, I ordered a bike last week (order 4711). Where is it?',
    })
    ticketA = r.ticket
    const row = page.locator(`tr[data-ticket="${r.ticket.id}"]`)
    await row.waitFor()
    assert.match(await row.innerText(), /Where is my order\?/)
    assert.equal(await row.evaluate((el) => el.classList.contains('unread')), true)
    await page.locator('.toast', { hasText: `New ticket #${r.ticket.number}` }).waitFor()
    assert.equal(page.url(), url, 'no navigation happened')
    // a second, older-looking ticket for a fuller screenshot
    await inbound(loket, { external_id: 'e2e-2', from: { email: 'petra@example.de', name: 'Petra Schmidt' }, subject: 'Rechnung doppelt', text: 'Ich habe zwei Rechnungen bekommen.' })
    await page.locator('tr[data-ticket]').nth(1).waitFor()
    await shot('inbox')
  })

  await t.test('SLA countdown in the list, the Due soon view and the ticket header', async () => {
    const due = page.locator(`tr[data-ticket="${ticketA.id}"] [data-testid="sla"]`)
    await due.waitFor()
    assert.match(await due.innerText(), /due in (\d+ min|1 h \d+ min)/)
    assert.equal(await due.locator('.sla-item').getAttribute('data-level'), 'ok')
    await page.getByRole('link', { name: 'Due soon' }).click()
    await page.waitForURL(/\/inbox\/due/)
    await page.locator(`tr[data-ticket="${ticketA.id}"]`).waitFor()
    await page.getByRole('link', { name: 'SLA breached' }).click()
    await page.waitForURL(/\/inbox\/breached/)
    await page.getByText('No tickets in this view.').waitFor()
    await page.getByRole('link', { name: 'All tickets' }).click()
    await page.locator(`tr[data-ticket="${ticketA.id}"]`).waitFor()
  })

  await t.test('open, reply and see the delivery status', async () => {
    await page.locator(`tr[data-ticket="${ticketA.id}"] a`).click()
    await page.waitForURL(new RegExp(`/tickets/${ticketA.id}$`))
    const head = page.locator('.ticket-head [data-testid="sla"]')
    await head.getByText('First response').waitFor()
    assert.match(await head.innerText(), /due in/)
    // the composer answers on the ticket's channel, to the last inbound address
    assert.equal(await page.getByLabel('To', { exact: true }).inputValue(), 'phone:+31612345678')
    await page.locator('.msg.in', { hasText: 'order 4711' }).waitFor()
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Your bike ships today, Jan.')
    await page.getByRole('button', { name: 'Send' }).click()
    const reply = page.locator('.msg.out', { hasText: 'ships today' })
    await reply.waitFor()
    const status = await reply.locator('.ds').getAttribute('data-status')
    assert.ok(['queued', 'sent', 'delivered', 'read', 'failed'].includes(status), `delivery status ${status}`)
    // The demo channel has no webhook_url, so delivery fails; the update arrives live.
    try {
      await reply.locator('.ds[data-status="failed"]').waitFor({ timeout: 20_000 })
    } catch (e) {
      t.diagnostic(`delivery did not fail within 20s (${status}): ${e.message.split('\n')[0]}`)
      return
    }
    assert.match(await reply.locator('.ds-error').innerText(), /webhook_url/)
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/retry') && r.request().method() === 'POST'),
      reply.getByRole('button', { name: 'Retry' }).click(),
    ])
    assert.equal(res.status(), 200, 'retry accepted')
  })

  await t.test('add an internal note with the n shortcut', async () => {
    await page.locator('body').click({ position: { x: 5, y: 300 } })
    await page.keyboard.press('n')
    const box = page.getByRole('textbox', { name: 'Message', exact: true })
    await assert.doesNotReject(box.evaluate((el) => document.activeElement === el || Promise.reject(new Error('not focused'))))
    await box.fill('Customer called too; bike is in the warehouse.')
    await page.getByRole('button', { name: 'Add note' }).click()
    await page.locator('.msg.note', { hasText: 'in the warehouse' }).waitFor()
  })

  await t.test('reply with a canned response', async (st) => {
    if (!routes.has('/api/v1/canned-responses')) return st.skip('no /api/v1/canned-responses on this server')
    await apiPost('/api/v1/canned-responses', { title: 'Shipping times', text: 'Orders ship within two working days.' })
    await page.getByRole('radio', { name: /Reply/ }).click()
    const box = page.getByRole('textbox', { name: 'Message', exact: true })
    await box.fill('')
    await box.pressSequentially('Hi Jan. #ship')
    await page.getByRole('option', { name: /Shipping times/ }).waitFor()
    await box.press('Enter')
    assert.equal(await box.inputValue(), 'Hi Jan. Orders ship within two working days.')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.locator('.msg.out', { hasText: 'within two working days' }).waitFor()
  })

  await t.test('collision warning: another agent views and types', async () => {
    await apiPost('/api/v1/agents', { email: 'petra@localhost', password: 'petra-password-1', name: 'Petra', role: 'supervisor', language: 'en', team_ids: [] })
    const ctx2 = await browser.newContext({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' })
    const p2 = await ctx2.newPage()
    try {
      await p2.goto(base + '/login')
      await p2.getByLabel('E-mail address').fill('petra@localhost')
      await p2.getByLabel('Password').fill('petra-password-1')
      await p2.getByRole('button', { name: 'Sign in' }).click()
      await p2.waitForURL(/\/inbox/)
      await p2.goto(`${base}/tickets/${ticketA.id}`)
      await p2.locator('.live.on').waitFor()
      await page.locator('[data-testid="presence"]', { hasText: 'Petra is viewing' }).waitFor()
      await p2.getByRole('textbox', { name: 'Message', exact: true }).pressSequentially('I will take this')
      await page.locator('[data-testid="presence"]', { hasText: 'Petra is typing' }).waitFor()
      await page.getByRole('radio', { name: /Reply/ }).click()
      const box = page.getByRole('textbox', { name: 'Message', exact: true })
      await box.fill('Me too')
      await page.getByRole('button', { name: 'Send' }).click()
      await page.getByRole('alertdialog').getByText(/Petra typed on this ticket/).waitFor()
      await page.getByRole('button', { name: 'Cancel' }).click()
      await box.fill('')
      await p2.getByRole('link', { name: /Back to list/ }).click() // leaving the ticket tells the others
      await page.locator('[data-testid="presence"]').waitFor({ state: 'detached', timeout: 10_000 })
    } finally {
      await ctx2.close()
    }
  })

  await t.test('solve', async () => {
    await page.getByRole('button', { name: /Solve/ }).click()
    await page.locator('[data-testid="ticket-status"]', { hasText: 'Solved' }).waitFor()
    await page.locator('.msg.event').first().waitFor()
  })

  await t.test('search by phone number in another format', async () => {
    await page.goto(base + '/inbox/all')
    const box = page.getByRole('searchbox', { name: 'Search tickets and customers' })
    await page.keyboard.press('/')
    await box.fill('+31 6 1234 5678')
    await box.press('Enter')
    await page.waitForURL(new RegExp(`/tickets/${ticketA.id}$`))
    await page.locator('.contact-name', { hasText: 'Jan Jansen' }).waitFor()
  })

  await t.test('merge two contacts', async () => {
    const other = await inbound(loket, {
      external_id: 'e2e-3',
      from: { email: 'jan@example.nl', name: 'J. Jansen' },
      subject: 'Bike colour',
      text: 'Can I still change the colour to blue?',
    })
    assert.notEqual(other.contact.id, undefined)
    const panel = page.locator('.customer')
    await panel.getByText('Merge another customer into this one').click()
    await panel.getByLabel('Customer number, e-mail or phone').fill(other.contact.number)
    await panel.getByRole('button', { name: 'Find' }).click()
    await panel.getByRole('button', { name: /Merge J\. Jansen/ }).click()
    await page.locator('.toast', { hasText: 'Customers merged' }).waitFor()
    await panel.locator('.identities', { hasText: 'jan@example.nl' }).waitFor()
    await panel.locator('.other-tickets li', { hasText: 'Bike colour' }).waitFor()
    await page.locator('.toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {})
    await page.locator('.side').evaluate((el) => el.scrollTo(0, 0))
    await shot('ticket')
  })

  await t.test('contacts list and contact page', async () => {
    await page.getByRole('link', { name: 'Customers' }).click()
    await page.waitForURL(/\/contacts$/)
    await page.getByRole('searchbox', { name: 'Search customers' }).fill('Jansen')
    await page.getByRole('link', { name: 'Jan Jansen' }).click()
    await page.waitForURL(/\/contacts\/\d+$/)
    await page.getByRole('heading', { name: /Jan Jansen/ }).waitFor()
    await page.locator('.other-tickets li', { hasText: 'Where is my order?' }).waitFor()
    await page.locator('.other-tickets li', { hasText: 'Bike colour' }).waitFor()
    await page.getByRole('button', { name: 'Edit customer' }).click()
    await page.locator('.contact-view select[name="language"]').selectOption('nl')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.locator('.facts dd', { hasText: /^nl$/ }).waitFor()
  })

  await t.test('admin: SLA policies and e-mail channel form', async () => {
    await page.getByRole('link', { name: 'SLA policies' }).click()
    await page.waitForURL(/\/admin\/sla$/)
    await page.getByRole('cell', { name: 'E2E standard' }).waitFor()
    await page.getByRole('row', { name: /E2E standard/ }).getByRole('button', { name: 'Edit' }).click()
    await page.getByRole('spinbutton', { name: 'Urgent – First response (minutes)' }).waitFor()
    await page.locator('.toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {})
    await shot('admin-sla')
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.getByRole('link', { name: 'Calendars' }).first().click()
    await page.getByRole('button', { name: 'New calendar' }).click()
    await page.locator('input[name="calendar-name"]').fill('Office')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('cell', { name: 'Office' }).waitFor()
    await page.getByRole('link', { name: 'Channels' }).first().click()
    await page.waitForURL(/\/admin\/channels$/)
    await page.locator('.channel-status').first().waitFor()
  })

  await t.test('language switch', async () => {
    await page.getByRole('button', { name: 'User menu' }).click()
    await page.getByLabel('Language').selectOption('nl')
    await page.getByRole('link', { name: 'Mijn tickets' }).waitFor()
    // The last choice is saved on the agent once its save has answered.
    const savedEn = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith('/api/v1/session') &&
      JSON.parse(r.request().postData() ?? '{}').language === 'en')
    await page.getByLabel('Taal').selectOption('en')
    await page.getByRole('link', { name: 'My tickets' }).waitFor()
    await savedEn
    const me = await apiPost('/api/v1/session', undefined, 'GET')
    assert.equal(me.agent.language, 'en', 'the choice is saved on the agent')
  })

  await t.test('e-mail channel connection test shows each check', async (st) => {
    if (!routes.has('/api/v1/channels/{id}/test')) return st.skip('no connection test on this server')
    const ch = await apiPost('/api/v1/channels', {
      kind: 'email', name: 'Mailbox', settings: {
        addresses: ['support@shop.example'],
        smtp: { host: '127.0.0.1', port: 1, tls: 'none' },
        imap: { host: '127.0.0.1', port: 1, tls: 'none', username: 'support', password: 'secret-password' },
      },
    })
    await page.goto(base + '/admin/channels')
    await page.locator(`tr[data-channel="${ch.id}"]`).getByRole('button', { name: 'Edit' }).click()
    await page.getByRole('button', { name: 'Test connection' }).click()
    const smtp = page.locator('[data-check="smtp"]')
    await smtp.waitFor()
    assert.match(await smtp.innerText(), /✗ SMTP[\s\S]*connect to 127\.0\.0\.1:1/)
    await page.locator('[data-check="imap"]', { hasText: 'IMAP' }).waitFor()
    await page.getByRole('button', { name: 'Cancel' }).click()
  })

  await t.test('team routing, the live queue view, presence and get next', async (st) => {
    if (!routes.has('/api/v1/queue/next')) return st.skip('no routing on this server')
    // Manual routing, so that nothing is pushed before the agent asks.
    await page.goto(base + '/admin/teams')
    await page.getByRole('button', { name: 'Edit team Support' }).click()
    await page.getByLabel('Routing').selectOption('manual')
    await page.getByLabel('Return tickets after (minutes away)').fill('30')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('row', { name: /Support.*Manual.*30 min/ }).waitFor()
    await page.getByRole('link', { name: 'Agents' }).first().click()
    await page.getByRole('button', { name: 'Edit Admin' }).click()
    await page.getByLabel('Skills').fill('en, nl')
    await page.getByLabel('Own capacity').check()
    await page.getByLabel('Budget (units)').fill('10')
    await page.getByLabel('Cost per channel kind').fill('call=10, chat=3, api=2')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('row', { name: /Admin.*en, nl.*10 units/ }).waitFor()

    await inbound(loket, { external_id: 'e2e-queue-1', from: { email: 'kees@example.nl', name: 'Kees' }, subject: 'Queue test', text: 'Anyone there?' })
    await page.getByRole('link', { name: 'Live queues' }).click()
    await page.waitForURL(/\/queues$/)
    const row = page.locator('.queue-team', { hasText: 'Support' }).locator('tr[data-kind="api"] .waiting')
    await row.waitFor()
    assert.ok(Number(await row.innerText()) >= 1, 'the new ticket waits in the Support queue')
    await page.locator('tr[data-agent]', { hasText: 'Admin' }).waitFor()

    const me = (await apiPost('/api/v1/session', undefined, 'GET')).agent
    const presence = page.getByRole('combobox', { name: 'Presence' })
    await presence.selectOption('online')
    await page.locator('tr[data-agent]', { hasText: 'Admin' }).getByText('Online').waitFor({ timeout: 10_000 })
    await page.locator('.live.on').waitFor()
    await page.locator('.toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {})
    await shot('queues')
    await page.evaluate(() => document.activeElement?.blur())
    const [next] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/queue/next')),
      page.keyboard.press('g'),
    ])
    assert.equal(next.status(), 200, 'a waiting ticket is handed out')
    const taken = await next.json()
    assert.equal(taken.assignee_id, me.id)
    await page.waitForURL(new RegExp(`/tickets/${taken.id}$`))
    await page.locator('select[name="assignee"]').evaluate((el) => el.selectedOptions[0]?.textContent === 'Admin' || Promise.reject(new Error('not assigned to me')))
    await presence.selectOption('away')
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/queue/next')),
      page.getByRole('button', { name: /Get next/ }).click(),
    ])
    assert.equal(res.status(), 422, 'away agents take no work')
    await page.locator('.toast', { hasText: 'Set yourself online to take work.' }).waitFor()
  })

  await t.test('knowledge base: an article is written, published and suggested on a matching ticket', async (st) => {
    if (!routes.has('/api/v1/kb/articles')) return st.skip('no knowledge base on this server')
    await page.getByRole('link', { name: 'Knowledge base' }).click()
    await page.waitForURL(/\/kb$/)
    await page.getByRole('button', { name: 'New category' }).click()
    await page.getByLabel('Name (English)').fill('Returns')
    await page.getByLabel('Name (Nederlands)').fill('Retouren')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.locator('.kb-tree', { hasText: 'Returns' }).waitFor()
    await page.getByRole('link', { name: 'New article' }).click()
    await page.waitForURL(/\/kb\/articles\/new$/)
    await page.getByLabel('Title', { exact: true }).fill('How do I return a bike?')
    await page.getByRole('combobox', { name: /^Category/ }).selectOption({ label: 'Returns' })
    await page.getByLabel('Summary').fill('Returning a bike within 30 days, step by step.')
    await page.getByLabel('Keywords').fill('return, bike, refund')
    await page.getByRole('textbox', { name: 'Article text (Markdown)' }).fill(
      '## Return a bike\n\nYou can return a bike within **30 days**.\n\n1. Pack the bike in its box.\n2. Print the [return label](https://shop.example/returns).\n3. Bring it to a pick-up point.',
    )
    await page.locator('.md-preview strong', { hasText: '30 days' }).waitFor()
    await page.getByRole('button', { name: 'Publish' }).click()
    await page.waitForURL(/\/kb\/articles\/\d+$/)
    await page.getByRole('button', { name: 'Back to draft' }).waitFor()
    await page.locator('.toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {})
    await shot('kb-admin')
    await page.getByRole('button', { name: 'Close' }).click()
    await page.locator('.kb-articles tr', { hasText: 'How do I return a bike?' }).getByText('Published').waitFor()

    const r = await inbound(loket, { external_id: 'e2e-kb-1', from: { email: 'anna@example.nl', name: 'Anna' }, subject: 'Return my bike', text: 'Hello, how do I return my bike? It is too small for me.' })
    await page.goto(`${base}/tickets/${r.ticket.id}`)
    const panel = page.locator('[data-testid="suggested-articles"]')
    await panel.locator('li', { hasText: 'How do I return a bike?' }).waitFor()
    await panel.getByRole('button', { name: 'Insert a link to “How do I return a bike?” into the reply' }).click()
    const box = page.getByRole('textbox', { name: 'Message', exact: true })
    assert.match(await box.inputValue(), /How do I return a bike\?: http:\/\/127\.0\.0\.1:\d+\/help\/en\/articles\/\d+-/)
    await box.fill('')
    await panel.getByRole('button', { name: 'Insert the text of “How do I return a bike?” into the reply' }).click()
    await page.waitForFunction(() => document.querySelector('#composer-text')?.value.includes('1. Pack the bike in its box.'))
    await page.locator('.toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {})
    await shot('ticket-suggestions')
  })

  await t.test('@mention in a note reaches the other agent as a toast', async () => {
    const ctx2 = await browser.newContext({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' })
    const p2 = await ctx2.newPage()
    try {
      await p2.goto(base + '/login')
      await p2.getByLabel('E-mail address').fill('petra@localhost')
      await p2.getByLabel('Password').fill('petra-password-1')
      await p2.getByRole('button', { name: 'Sign in' }).click()
      await p2.waitForURL(/\/inbox/)
      await p2.locator('.live.on').waitFor()
      await page.goto(`${base}/tickets/${ticketA.id}`)
      await page.getByRole('radio', { name: /Note/ }).click()
      const box = page.getByRole('textbox', { name: 'Message', exact: true })
      await box.pressSequentially('Could you check this, @Pe')
      await page.getByRole('listbox', { name: 'Mention a colleague' }).getByRole('option', { name: /Petra/ }).waitFor()
      await box.press('Enter')
      await box.pressSequentially('please?')
      assert.equal(await box.inputValue(), 'Could you check this, @Petra please?')
      await page.getByRole('button', { name: 'Add note' }).click()
      await page.locator('.msg.note mark.mention', { hasText: '@Petra' }).waitFor()
      const toastEl = p2.locator('.toast', { hasText: `Admin mentioned you on #${ticketA.number}` })
      await toastEl.waitFor()
      await toastEl.getByRole('link').click()
      await p2.waitForURL(new RegExp(`/tickets/${ticketA.id}$`))
      await p2.locator('.msg.note mark.mention.me', { hasText: '@Petra' }).waitFor()
    } finally {
      await ctx2.close()
    }
  })

  await t.test('website chat channel: settings and the snippet', async (st) => {
    const { kinds } = await apiPost('/api/v1/channels', undefined, 'GET')
    if (!kinds.includes('webchat')) return st.skip('no website chat on this server')
    await page.goto(base + '/admin/channels')
    await page.getByRole('button', { name: 'New website chat' }).click()
    await page.getByLabel('Name', { exact: true }).first().fill('Shop chat')
    await page.getByLabel('Title', { exact: true }).fill('Ask us')
    await page.getByLabel('Greeting (English)').fill('Hi! How can we help?')
    await page.getByLabel('Allowed sites (one per line)').fill('https://shop.example')
    await page.getByLabel('FAQ bot answers first').check()
    await page.getByRole('button', { name: 'Create' }).first().click()
    const snippet = page.locator('[data-testid="snippet"]')
    await snippet.filter({ hasText: '<script' }).waitFor()
    await page.getByRole('button', { name: 'Copy snippet' }).waitFor()
    await page.locator('.toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {})
    await page.locator('.webchat-form').scrollIntoViewIfNeeded()
    await shot('admin-webchat')
  })

  await t.test('change the password, then sign in with the new one', async () => {
    await page.getByRole('button', { name: 'User menu' }).click()
    await page.getByRole('button', { name: 'Profile and password' }).click()
    const dialog = page.getByRole('dialog', { name: 'Profile and password' })
    await dialog.getByLabel('Current password').fill('not the password')
    await dialog.getByLabel('New password', { exact: true }).fill('a-brand-new-password')
    await dialog.getByLabel('Repeat the new password').fill('a-brand-new-password')
    await dialog.getByRole('button', { name: 'Change password' }).click()
    await dialog.getByRole('alert').getByText('The current password is wrong.').waitFor()
    await dialog.getByLabel('Current password').fill(loket.password)
    await dialog.getByRole('button', { name: 'Change password' }).click()
    await page.locator('.toast', { hasText: 'Password changed' }).waitFor()
    await page.getByRole('button', { name: 'User menu' }).click()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/login/)
    await page.getByLabel('E-mail address').fill(loket.email)
    await page.getByLabel('Password').fill(loket.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').waitFor()
    await page.getByLabel('Password').fill('a-brand-new-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL((u) => u.pathname.startsWith('/inbox'))
  })
})
