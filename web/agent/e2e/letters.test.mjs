// End-to-end: paper letters. An agent registers a customer's letter from
// the customer's page, finds it on the ticket's timeline with its scan and
// text, answers with a letter, downloads the printed PDF and marks it
// posted. Run with `npm run e2e` after `npm run build`.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { openPage, pageAPI, signIn, startApp } from './harness.mjs'

let app, page, api
const hasPdftotext = spawnSync('pdftotext', ['-v']).error === undefined

/** aLetterPDF is a one-page PDF whose text layer says text, as a word processor writes it. */
function aLetterPDF(text) {
  const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
  ]
  let pdf = '%PDF-1.4\n'
  const offsets = objects.map((o, i) => {
    const at = pdf.length
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`
    return at
  })
  const xref = pdf.length
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` + offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(pdf, 'latin1')
}

before(async () => {
  app = await startApp()
  page = await openPage(app.browser)
  api = pageAPI(page)
  await signIn(page, app)
})

after(async () => {
  await app?.stop()
})

test('a letter registered, answered with a printed letter and posted', async (t) => {
  await api('/api/v1/channels', {
    kind: 'letter', name: 'Post',
    settings: { company: 'Fietsenmakerij Ödön B.V.', address: ['Kerkstraat 12', '1017 GM Amsterdam'], footer: ['IBAN NL91 ABNA 0417 1643 00'] },
  })
  const contact = await api('/api/v1/contacts', { name: 'Jürgen Müller', language: 'de', address: 'Großbeerenstraße 5\n10963 Berlin' })

  await t.test('the agent registers the letter on the customer', async () => {
    // A fresh load reads the new channel into the directory.
    await page.goto(`${app.base}/contacts/${contact.id}`)
    await page.getByTestId('postal-address').filter({ hasText: 'Großbeerenstraße 5' }).waitFor()
    await page.getByText('Register letter').click()
    await page.getByLabel('Summary').fill('Complaint about the repair')
    await page.getByLabel('Scan (PDF, PNG or JPEG)').setInputFiles({
      name: 'brief.pdf', mimeType: 'application/pdf', buffer: aLetterPDF('My bicycle still squeaks after the repair.'),
    })
    await page.getByRole('button', { name: 'Register', exact: true }).click()
    await page.waitForURL(/\/tickets\/\d+/)
  })

  await t.test('the letter is on the timeline with its scan and text', async () => {
    const entry = page.getByTestId('letter-entry')
    await entry.filter({ hasText: 'Complaint about the repair' }).waitFor()
    assert.equal(await entry.getByRole('link', { name: /Open scan/ }).count(), 1, 'the scan is linked')
    if (hasPdftotext) {
      await entry.getByText('Text of the letter').click()
      await entry.getByText('My bicycle still squeaks after the repair.').waitFor()
    } else {
      await entry.getByText(/No text was read from the scan: pdftotext is not installed/).waitFor()
    }
  })

  await t.test('the answer is printed on the letterhead, downloaded and posted', async () => {
    await page.getByRole('radio', { name: /Reply/ }).click()
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Sehr geehrter Herr Müller,\n\ndie Reparatur kostet € 12,50.\n\nMit freundlichen Grüßen')
    await page.getByRole('button', { name: 'Send' }).click()
    const reply = page.locator('.msg.out', { hasText: 'die Reparatur kostet € 12,50.' })
    const download = reply.getByRole('link', { name: /Download PDF/ })
    await download.waitFor()
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()])
    assert.match(file.suggestedFilename(), /^letter-\d+-\d+\.pdf$/)
    const dir = mkdtempSync(path.join(tmpdir(), 'loket-e2e-letter-'))
    const saved = path.join(dir, file.suggestedFilename())
    await file.saveAs(saved)
    assert.equal(readFileSync(saved).subarray(0, 5).toString(), '%PDF-')
    if (hasPdftotext) {
      const text = spawnSync('pdftotext', ['-enc', 'UTF-8', saved, '-'], { encoding: 'utf8' }).stdout
      for (const want of ['Fietsenmakerij Ödön B.V.', 'Jürgen Müller', 'Großbeerenstraße 5', 'die Reparatur kostet € 12,50.']) {
        assert.ok(text.includes(want), `the printed letter reads ${want}:\n${text}`)
      }
    }

    await reply.getByRole('button', { name: /Mark posted/ }).click()
    await reply.locator('.ds[data-status="sent"]').waitFor()
    assert.equal(await reply.getByRole('button', { name: /Mark posted/ }).count(), 0, 'a posted letter cannot be posted again')
  })
})
