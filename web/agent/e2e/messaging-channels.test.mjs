// End-to-end: an admin sets up a messaging channel in the admin UI and finds
// the webhook URL to give the provider. The buttons follow the kinds the
// server has; the channel made is Telegram's or else SMS's, whichever the
// server offers.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { openPage, pageAPI, signIn, startApp } from './harness.mjs'

const MESSAGING = ['whatsapp', 'telegram', 'sms', 'messenger', 'instagram']

let app, page, api, kinds

before(async () => {
  app = await startApp()
  page = await openPage(app.browser)
  await signIn(page, app)
  api = pageAPI(page)
  kinds = (await api('/api/v1/channels')).kinds
})

after(async () => {
  await app?.stop()
})

// What an admin types for each kind that can be made without a provider
// account at hand; the provider's API is a closed local port, so that
// nothing leaves the machine.
const setups = {
  telegram: { button: 'New Telegram channel', fields: { 'Bot token': '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw', 'API base URL': 'http://127.0.0.1:9' } },
  sms: {
    button: 'New SMS channel',
    fields: { 'Sender (number or name)': '+3197010203040', 'Account SID': 'AC' + '0123456789abcdef'.repeat(2), 'Auth token': 'twilio-auth-token-e2e' },
  },
}

test('messaging channels in the admin UI', async (t) => {
  await t.test('a form is offered for each messaging kind the server has, and only for those', async () => {
    await page.goto(app.base + '/admin/channels')
    await page.locator('.channel-status').first().waitFor()
    for (const k of MESSAGING) {
      assert.equal(await page.locator(`[data-new-kind="${k}"]`).count(), kinds.includes(k) ? 1 : 0, k)
    }
    const plain = await page.locator('form.create select[name="kind"] option').evaluateAll((os) => os.map((o) => o.value))
    assert.deepEqual(plain.filter((k) => MESSAGING.includes(k)), [], 'messaging kinds are made with their own form')
  })

  await t.test('an admin creates a channel and sees its webhook URL and health', async (st) => {
    const kind = ['telegram', 'sms'].find((k) => kinds.includes(k))
    if (!kind) return st.skip(`neither telegram nor sms on this server (kinds: ${kinds.join(', ')})`)
    const { button, fields } = setups[kind]
    await page.getByRole('button', { name: button }).click()
    const form = page.locator(`.messaging-form[data-kind="${kind}"]`)
    await form.getByLabel('Name', { exact: true }).fill(`Shop ${kind}`)
    for (const [label, value] of Object.entries(fields)) await form.getByLabel(label).fill(value)
    await form.getByRole('button', { name: 'Create' }).click()

    const url = form.getByRole('textbox', { name: 'Webhook URL' })
    await url.waitFor()
    const shown = await url.inputValue()
    assert.match(shown, new RegExp(`^https?://[^/]+/api/v1/${kind}/\\d+/`))
    await form.getByRole('button', { name: 'Copy URL' }).waitFor()
    await form.getByRole('button', { name: 'Test connection' }).waitFor()
    const health = await form.locator('[data-testid="channel-health"]').innerText()
    assert.match(health, /Last message received\s+never/)

    const ch = (await api('/api/v1/channels')).channels.find((c) => c.name === `Shop ${kind}`)
    assert.ok(ch, 'the channel was saved')
    assert.equal(ch.webhook_url, shown)
    assert.ok(ch.secrets_set.length > 0, 'the secrets were saved as secrets')
    await page.locator(`tr[data-channel="${ch.id}"]`).getByRole('button', { name: `Edit channel Shop ${kind}` }).waitFor()
  })
})
