// End-to-end: what a first-time user meets in the agent app. The admin
// starts online, the ticket list says who asked and what was said last, a
// ticket opens at its newest message, SLA badges follow the reply, server
// events read in the agent's language, toasts keep off the Send button,
// the API channel can be edited and a customer number finds the customer.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { inbound, openPage, pageAPI, startApp } from './harness.mjs'

let app, loket, page, base, api

before(async () => {
  app = await startApp()
  ;({ loket, base } = app)
  page = await openPage(app.browser, 'en-US')
  api = pageAPI(page)
})

after(async () => {
  await app?.stop()
})

test('first use of the agent app', async (t) => {
  let ticket, contact

  await t.test('the first admin starts online', async () => {
    await page.goto(base + '/login')
    await page.getByLabel('E-mail address').fill(loket.email)
    await page.getByLabel('Password').fill(loket.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/inbox/)
    const { agents } = await api('/api/v1/agents')
    assert.equal(agents[0].presence, 'online')
    await api('/api/v1/sla-policies', { name: 'E2E', enabled: true, position: 1, warn_percent: 80, targets: { normal: { first_response: 60, next_response: 120, resolution: 2880 } } })
  })

  await t.test('the list shows the requester and the newest message', async () => {
    await page.goto(base + '/inbox/all')
    await page.locator('.live.on').waitFor()
    for (let i = 1; i <= 40; i++) {
      const r = await inbound(loket, { external_id: `fu-${i}`, thread: 'fu', from: { email: 'mia@example.nl', name: 'Mia de Vries' }, subject: 'Broken pedal', text: `Message number ${i} about the pedal.` })
      ticket = r.ticket
      contact = r.contact
    }
    await page.reload()
    const preview = page.locator(`tr[data-ticket="${ticket.id}"] [data-testid="preview"]`)
    await preview.waitFor()
    assert.match(await preview.innerText(), /Mia de Vries · Message number 40 about the pedal\./)
  })

  await t.test('a ticket opens at its newest message', async () => {
    await page.locator(`tr[data-ticket="${ticket.id}"] a`).click()
    await page.waitForURL(new RegExp(`/tickets/${ticket.id}$`))
    const newest = page.locator('.msg.in', { hasText: 'Message number 40 ' })
    await newest.waitFor()
    await page.waitForFunction(() => {
      const tl = document.querySelector('.timeline')
      const last = [...document.querySelectorAll('.timeline .msg')].pop()
      if (!tl || !last) return false
      const a = tl.getBoundingClientRect()
      const b = last.getBoundingClientRect()
      return b.bottom <= a.bottom + 1 && b.top >= a.top
    }, null, { timeout: 5000 }).catch(async (e) => {
      const m = await page.evaluate(() => {
        const tl = document.querySelector('.timeline')
        const cv = document.querySelector('.conversation')
        return { tl: [tl.scrollTop, tl.scrollHeight, tl.clientHeight, getComputedStyle(tl).overflowY], cv: [cv.scrollTop, cv.scrollHeight, cv.clientHeight], doc: [document.scrollingElement.scrollTop, document.scrollingElement.scrollHeight] }
      })
      throw new Error(`${e.message}: ${JSON.stringify(m)}`)
    })
  })

  await t.test('SLA badges follow the reply without a reload', async () => {
    const head = page.locator('.ticket-head [data-testid="sla"]')
    await head.getByText('First response').waitFor()
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('We send a new pedal today.')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.locator('.msg.out', { hasText: 'new pedal today' }).waitFor()
    await head.getByText('First response').waitFor({ state: 'detached' })
    const tk = await api(`/api/v1/tickets/${ticket.id}`)
    assert.equal(tk.first_response_due, undefined)
    assert.equal(tk.next_response_due, undefined)
    assert.equal(await head.getByText('Next response').count(), 0)
  })

  await t.test('a toast stays off the Send button', async () => {
    await inbound(loket, { external_id: 'fu-other', from: { email: 'tom@example.nl', name: 'Tom' }, subject: 'Other question', text: 'Hello?' })
    const toast = page.locator('.toast', { hasText: 'Other question' }).first()
    await toast.waitFor()
    const a = await toast.boundingBox()
    const b = await page.getByRole('button', { name: 'Send' }).boundingBox()
    const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    assert.equal(overlap, false, `toast ${JSON.stringify(a)} covers Send ${JSON.stringify(b)}`)
  })

  await t.test('server events read in the agent language with its date format', async () => {
    await page.locator('.props select[name="status"]').selectOption('pending')
    const line = page.locator('.msg.event', { hasText: 'Pending' }).last()
    await line.waitFor()
    // textContent: entries off screen are not rendered (content-visibility), so innerText is empty.
    assert.match((await line.textContent()).trim(), /^Status Open → Pending · \d{1,2} Dec 2026, \d\d:\d\d$/)
    // In Dutch, with Dutch dates, after a reload (the English text stays for the API).
    await api('/api/v1/session', { language: 'nl' }, 'PATCH')
    await page.reload()
    const nl = page.locator('.msg.event', { hasText: 'Wacht op klant' }).last()
    await nl.waitFor()
    assert.match((await nl.textContent()).trim(), /^Status Open → Wacht op klant · \d{1,2} dec 2026, \d\d:\d\d$/)
    const { messages } = await api(`/api/v1/tickets/${ticket.id}`)
    assert.ok(messages.some((m) => m.text === 'status open → pending' && m.meta?.event === 'ticket.changed'))
    await api('/api/v1/session', { language: 'en' }, 'PATCH')
    await page.reload()
    await page.locator('.msg.event', { hasText: 'Pending' }).last().waitFor()
  })

  await t.test('the API channel has an Edit button', async () => {
    await page.goto(base + '/admin/channels')
    const row = page.locator('tr[data-channel="1"]')
    await row.getByRole('button', { name: 'Edit' }).click()
    await page.getByLabel('Webhook URL').fill('https://shop.example/loket-hook')
    await page.getByLabel('Signing secret (at least 16 characters)').fill('a-very-long-signing-secret')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.locator('.api-channel-form').waitFor({ state: 'detached' })
    const ch = await api('/api/v1/channels/1')
    assert.equal((ch.channel ?? ch).settings.webhook_url, 'https://shop.example/loket-hook')
    assert.ok((ch.channel ?? ch).secrets_set.includes('secret'))
  })

  await t.test('searching a customer number opens the customer', async () => {
    const box = page.getByRole('searchbox', { name: 'Search tickets and customers' })
    await box.fill(contact.number)
    await box.press('Enter')
    await page.waitForURL(new RegExp(`/contacts/${contact.id}$`))
    await page.getByRole('heading', { name: /Mia de Vries/ }).waitFor()
  })
})
