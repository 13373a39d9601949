// End-to-end: the telephone. A customer calls; the phone of the agent with
// extension 201 rings, and that agent's app pops up who is calling before
// they pick up. The agent opens the call's ticket, answers (the pop-up
// becomes the on-a-call bar), the call ends and the timeline shows how long
// it took; then the agent calls the customer back with one click. The
// telephone system is played by posting its CTI events. Run with
// `npm run e2e` after `npm run build`.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { inbound, openPage, pageAPI, screenshotDir, signIn, startApp } from './harness.mjs'

const TOKEN = 'e2e-cti-token-0123456789abcdef'
let app, admin, api

before(async () => {
  app = await startApp()
  admin = await openPage(app.browser)
  api = pageAPI(admin)
  mkdirSync(screenshotDir, { recursive: true })
  await signIn(admin, app)
})

after(async () => {
  await app?.stop()
})

test('an incoming call pops up the right customer for the ringing agent', async (t) => {
  const { kinds } = await api('/api/v1/channels')
  if (!kinds?.includes('voice')) return t.skip('no voice channel kind on this server')

  const team = await api('/api/v1/teams', { name: 'Telephone' })
  const voice = await api('/api/v1/channels', {
    kind: 'voice', name: 'Phone line', team_id: team.id, settings: { provider: 'cti', number: '+31201234567', token: TOKEN },
  })
  const agent = await api('/api/v1/agents', {
    email: 'petra@localhost', password: 'petra-password-123', name: 'Petra Bakker', role: 'agent', language: 'en', team_ids: [team.id],
  })
  const earlier = await inbound(app.loket, {
    external_id: 'e2e-call-1', from: { phone: '+31612345678', name: 'Sara Visser' }, subject: 'Parcel not delivered',
    text: 'My parcel 1042 has not arrived yet.',
  })
  const contact = earlier.contact

  /** cti posts one event of the telephone system to the channel's CTI address. */
  async function cti(ev) {
    const res = await fetch(`${app.loket.url}/api/v1/voice/${voice.id}/cti/${TOKEN}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ev),
    })
    if (!res.ok) throw new Error(`CTI ${ev.event}: ${res.status} ${await res.text()}`)
  }

  const ctx = await app.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' })
  const page = await ctx.newPage()
  page.setDefaultTimeout(30_000)
  try {
    await t.test('the agent sets their phone extension in their profile', async () => {
      await page.goto(app.base + '/login')
      await page.getByLabel('E-mail address').fill('petra@localhost')
      await page.getByLabel('Password').fill('petra-password-123')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL(/\/inbox/)
      await page.getByRole('button', { name: 'User menu' }).click()
      await page.getByRole('button', { name: 'Profile and password' }).click()
      const dialog = page.getByRole('dialog', { name: 'Profile and password' })
      await dialog.getByLabel('Phone (extension or number)').fill('20x1')
      await dialog.locator('form', { has: page.getByLabel('Phone (extension or number)') }).getByRole('button', { name: 'Save' }).click()
      await dialog.getByTestId('phone-error').filter({ hasText: 'digits, a leading +' }).waitFor()
      await dialog.getByLabel('Phone (extension or number)').fill('201')
      await dialog.locator('form', { has: page.getByLabel('Phone (extension or number)') }).getByRole('button', { name: 'Save' }).click()
      await page.locator('.toast', { hasText: 'Saved' }).waitFor()
      assert.equal(await dialog.getByTestId('phone-error').count(), 0)
      assert.equal((await api('/api/v1/agents')).agents.find((a) => a.id === agent.id)?.phone, '201')
      await dialog.getByRole('button', { name: 'Close' }).click()
      await page.locator('.live.on').waitFor()
    })

    let call
    await t.test('the ringing agent sees who calls before answering, and opens the call’s ticket', async () => {
      await cti({ event: 'newCall', direction: 'in', from: '0612345678', to: '0201234567', callId: 'e2e-1', user: ['201'] })
      const popup = page.getByTestId('call-popup')
      await popup.getByRole('heading', { name: 'Sara Visser' }).waitFor()
      await popup.getByTestId('caller-customer-number').filter({ hasText: contact.number }).waitFor()
      await popup.getByText('Calling from +31612345678').waitFor()
      await popup.getByRole('button', { name: `Open ticket #${earlier.ticket.number}` }).waitFor()
      await page.screenshot({ path: path.join(screenshotDir, 'caller-popup.png') })
      call = (await api('/api/v1/calls')).calls.find((c) => c.call_id === 'e2e-1')
      assert.ok(call, 'the call is in the call log')
      assert.deepEqual(call.ringing, [agent.id])
      await popup.getByRole('button', { name: 'Open ticket', exact: true }).click()
      await page.waitForURL(new RegExp(`/tickets/${call.ticket_id}$`))
      await page.locator('.call-entry[data-call-state="ringing"]').waitFor()
    })

    await t.test('answering turns the pop-up into the on-a-call bar', async () => {
      await cti({ event: 'answer', direction: 'in', from: '0612345678', to: '0201234567', callId: 'e2e-1', user: '201' })
      const bar = page.getByTestId('call-bar')
      await bar.getByText('On a call with Sara Visser').waitFor()
      await bar.getByTestId('call-clock').filter({ hasText: /^\d+:\d\d$/ }).waitFor()
      assert.equal(await page.getByTestId('call-popup').count(), 0)
      await page.locator('.call-entry[data-call-state="answered"]', { hasText: 'In progress' }).waitFor()
    })

    await t.test('hanging up ends the bar and the timeline shows the call’s duration', async () => {
      await cti({ event: 'hangup', direction: 'in', from: '0612345678', to: '0201234567', callId: 'e2e-1', user: '201', cause: 'normalClearing' })
      await page.getByTestId('call-bar').waitFor({ state: 'detached' })
      const entry = page.locator('.call-entry[data-call-state="ended"]')
      await entry.getByTestId('call-state').filter({ hasText: /Duration \d+:\d\d · Answered by Petra Bakker/ }).waitFor()
    })

    await t.test('one click on the customer’s phone calls them back', async () => {
      const panel = page.locator('.panel.customer')
      await panel.locator('.identities').getByRole('button', { name: 'Call +31612345678' }).click()
      await panel.getByTestId('call-dialing').filter({ hasText: 'Calling +31612345678 — pick up your phone' }).waitFor()
      await page.locator('.call-entry[data-call-state="dialing"]').waitFor()
      await page.screenshot({ path: path.join(screenshotDir, 'call-entries.png') })
    })

    let missed
    await t.test('a call that stops ringing unanswered closes the pop-up and tells the agent they missed it', async () => {
      await cti({ event: 'newCall', direction: 'in', from: '0612345678', to: '0201234567', callId: 'e2e-2', user: ['201'] })
      const popup = page.getByTestId('call-popup')
      await popup.getByRole('heading', { name: 'Sara Visser' }).waitFor()
      await cti({ event: 'hangup', direction: 'in', from: '0612345678', to: '0201234567', callId: 'e2e-2', cause: 'cancel' })
      await popup.waitFor({ state: 'detached' })
      await page.locator('.toast', { hasText: 'Missed call from Sara Visser' }).waitFor()
      missed = (await api('/api/v1/calls?missed=true')).calls.find((c) => c.call_id === 'e2e-2')
      assert.ok(missed, 'the call log has the missed call')
      if (!page.url().endsWith(`/tickets/${missed.ticket_id}`)) await page.goto(`${app.base}/tickets/${missed.ticket_id}`)
      const entry = page.locator(`.call-entry[data-message="${missed.message_id}"]`)
      await entry.getByTestId('missed-badge').waitFor()
      await entry.getByRole('button', { name: 'Call +31612345678' }).waitFor()
    })

    await t.test('the Calls page lists the calls and filters the missed ones', async () => {
      await page.getByRole('link', { name: 'Calls' }).click()
      await page.getByRole('heading', { name: 'Calls' }).waitFor()
      await page.locator(`.call-log tr[data-call="${call.message_id}"]`, { hasText: 'Sara Visser' }).waitFor()
      await page.getByRole('button', { name: 'Missed' }).click()
      await page.locator(`.call-log tr[data-call="${missed.message_id}"]`, { hasText: 'Missed call' }).waitFor()
      await page.locator(`.call-log tr[data-call="${call.message_id}"]`).waitFor({ state: 'detached' })
    })
  } finally {
    await ctx.close()
  }
})
