// End-to-end: an agent turns on two-factor sign-in from the profile, signs
// out, and signs in again with the password and then a code from the
// authenticator app, which the test computes itself (RFC 6238 over
// node:crypto, as an authenticator app would).
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { after, before, test } from 'node:test'
import { openPage, signIn, startApp } from './harness.mjs'

let app, page

before(async () => {
  app = await startApp()
  page = await openPage(app.browser)
})

after(async () => {
  await app?.stop()
})

/** base32 decodes an RFC 4648 base32 string (no padding needed). */
function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const bytes = []
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2))
  return Buffer.from(bytes)
}

/** totp is the 6-digit code of secret for time step step (30 s steps, SHA-1). */
function totp(secret, step) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(step))
  const mac = createHmac('sha1', base32(secret)).update(counter).digest()
  const offset = mac[mac.length - 1] & 0x0f
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000
  return String(n).padStart(6, '0')
}

const stepNow = () => Math.floor(Date.now() / 30_000)

test('two-factor sign-in from enrolment to signing in with a code', async (t) => {
  let secret, confirmedStep

  await t.test('the agent turns it on from the profile and sees the recovery codes once', async () => {
    await signIn(page, app)
    await page.getByRole('button', { name: 'User menu' }).click()
    await page.getByRole('button', { name: 'Profile and password' }).click()
    const section = page.getByTestId('two-factor')
    await section.getByRole('button', { name: 'Set up two-factor authentication' }).click()
    await section.getByRole('img', { name: 'QR code that adds Loket to your authenticator app' }).waitFor()
    secret = (await section.getByTestId('totp-secret').textContent()).trim()
    assert.match(secret, /^[A-Z2-7]{16,}$/)
    confirmedStep = stepNow()
    await section.getByLabel('Code the app shows now').fill(totp(secret, confirmedStep))
    await section.getByRole('button', { name: 'Turn on' }).click()
    const codes = section.getByTestId('recovery-codes').locator('li')
    await codes.first().waitFor()
    assert.equal(await codes.count(), 10)
    await section.getByRole('button', { name: 'I have saved them' }).click()
    await section.getByText('On: signing in asks for a code from your authenticator app.').waitFor()
  })

  await t.test('after signing out, the password alone does not sign in', async () => {
    await page.keyboard.press('Escape')
    await page.goto(app.base + '/inbox/mine')
    await page.getByRole('button', { name: 'User menu' }).click()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/login/)
    await page.getByLabel('E-mail address').fill(app.loket.email)
    await page.getByLabel('Password').fill(app.loket.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByTestId('second-factor').waitFor()
    const me = await page.evaluate(async () => (await fetch('/api/v1/session')).status)
    assert.equal(me, 401, 'no session before the code')
  })

  await t.test('a code from the app signs in', async () => {
    // A code counts once: the one that confirmed the enrolment is refused,
    // so use the step after it (the server accepts one step of drift).
    const step = Math.max(stepNow(), confirmedStep + 1)
    await page.getByLabel('Code from your authenticator app').fill(totp(secret, step))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/inbox/)
    const me = await page.evaluate(async () => (await (await fetch('/api/v1/session')).json()).agent)
    assert.equal(me.two_factor, true)
  })
})
