// Performance figures of the agent web app against a large database.
// Not part of `npm run e2e`; run after `npm run build`:
//
//   node e2e/perf.mjs
//
// Environment:
//   LOKET_PERF_DATA  data directory (default $TMPDIR/loket-perf); seeded with
//                    `loket bench seed --tickets $LOKET_PERF_TICKETS` when it
//                    holds no database yet (100000 tickets take minutes)
//   LOKET_PERF_TICKETS  tickets to seed (default 100000)
//   LOKET_BIN        a loket binary; default: built from the repository now,
//                    so that it embeds the current web/agent/build
//   PERF_RUNS        runs per figure (default 5; the median is reported)
//
// It prints: the gzip size of the first-load JS and CSS (the assets
// index.html loads, and everything loaded until the inbox shows), the time
// to first inbox paint (navigation start → first ticket row visible) and
// the time to open a ticket with 500 messages (click → last message
// visible), as JSON and as a table.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { distDir, freePort, launchBrowser, repoRoot, servesApp, startProxy } from './harness.mjs'

const RUNS = Number(process.env.PERF_RUNS ?? 5)
const DATA = process.env.LOKET_PERF_DATA ?? path.join(tmpdir(), 'loket-perf')
const TICKETS = process.env.LOKET_PERF_TICKETS ?? '100000'
const EMAIL = 'perf-admin@localhost'
const PASSWORD = 'perf-admin-password-1'
const MESSAGES = 500

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const log = (...a) => console.error('#', ...a)

function binary() {
  if (process.env.LOKET_BIN) return process.env.LOKET_BIN
  const out = path.join(tmpdir(), `loket-perf-bin-${process.pid}`)
  log('building loket (embeds web/agent/build)…')
  execFileSync('go', ['build', '-o', out, './cmd/loket'], { cwd: repoRoot, stdio: 'inherit' })
  return out
}

function prepare(bin) {
  mkdirSync(DATA, { recursive: true })
  if (!existsSync(path.join(DATA, 'loket.db'))) {
    log(`seeding ${TICKETS} tickets into ${DATA} (takes a while)…`)
    execFileSync(bin, ['bench', 'seed', '--tickets', TICKETS, '--data', DATA, '--log-level', 'warn'], { stdio: 'inherit' })
  }
  const env = { ...process.env, LOKET_DATA: DATA, LOKET_LOG_LEVEL: 'warn' }
  try {
    execFileSync(bin, ['user', 'add', '--email', EMAIL, '--name', 'Perf Admin', '--role', 'admin'], { env, input: PASSWORD + '\n', stdio: ['pipe', 'ignore', 'ignore'] })
  } catch {
    execFileSync(bin, ['user', 'password', '--email', EMAIL], { env, input: PASSWORD + '\n', stdio: ['pipe', 'ignore', 'inherit'] })
  }
}

async function serve(bin) {
  const port = await freePort()
  const env = { ...process.env, LOKET_DATA: DATA, LOKET_ADDR: `127.0.0.1:${port}`, LOKET_LOG_LEVEL: 'warn' }
  const child = spawn(bin, ['serve'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start\n${out}\n${err}`)), 120_000)
    child.stdout.on('data', (d) => {
      out += d
      if (/Loket is running/.test(out)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`server exited (${code})\n${out}\n${err}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {}
    },
  }
}

async function api(base, cookie, method, p, body) {
  const res = await fetch(base + p, {
    method,
    headers: { Cookie: cookie, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`)
  return res.status === 204 ? null : res.json()
}

/** bigTicket makes the most recently updated ticket have 500 messages (adding internal notes) and returns it. */
async function bigTicket(base, cookie) {
  const page = await api(base, cookie, 'GET', '/api/v1/tickets?limit=1')
  const tk = await api(base, cookie, 'GET', `/api/v1/tickets/${page.tickets[0].id}`)
  let n = tk.messages.length
  if (n < MESSAGES) log(`adding ${MESSAGES - n} notes to ticket #${tk.number}…`)
  const work = []
  for (; n < MESSAGES; n++) {
    work.push(api(base, cookie, 'POST', `/api/v1/tickets/${tk.id}/messages`, { note: true, text: `Perf note ${n + 1}: ${'lorem ipsum dolor sit amet '.repeat(1 + (n % 5))}` }))
    if (work.length >= 8) await Promise.all(work.splice(0))
  }
  await Promise.all(work)
  const full = await api(base, cookie, 'GET', `/api/v1/tickets/${tk.id}`)
  return { id: full.id, number: full.number, messages: full.messages.length, last: full.messages.at(-1).id }
}

function gz(file) {
  return gzipSync(readFileSync(path.join(distDir, file)), { level: 9 }).length
}

function entryAssets() {
  const html = readFileSync(path.join(distDir, 'index.html'), 'utf8')
  return [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1])
}

// Records, in the page, when the first ticket row is in the DOM and painted.
const FIRST_ROW = `
  new MutationObserver((_, obs) => {
    if (window.__firstRow || !document.querySelector('tr[data-ticket]')) return
    obs.disconnect()
    requestAnimationFrame(() => { window.__firstRow = performance.now() })
  }).observe(document, { childList: true, subtree: true })
`

async function main() {
  if (!existsSync(path.join(distDir, 'index.html'))) throw new Error('build first: npm run build')
  const bin = binary()
  const built = !process.env.LOKET_BIN
  try {
    await measure(bin)
  } finally {
    if (built) rmSync(bin, { force: true })
  }
}

async function measure(bin) {
  prepare(bin)
  const server = await serve(bin)
  let proxy = null
  let base = server.url
  if (!(await servesApp(base))) {
    proxy = await startProxy(base)
    base = proxy.url
    log('server does not embed the app; using the dist proxy')
  }
  const browser = await launchBrowser()
  try {
    const login = await fetch(base + '/api/v1/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    })
    if (!login.ok) throw new Error(`login: ${login.status}`)
    const cookie = login.headers.get('set-cookie').split(';')[0]
    const big = await bigTicket(base, cookie)
    const count = (await api(base, cookie, 'GET', '/api/v1/tickets?limit=200')).next ? '≥ 200' : '< 200'
    log(`ticket #${big.number} has ${big.messages} messages; all-tickets view has ${count} tickets`)

    const [name, value] = cookie.split('=')
    const u = new URL(base)
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' })
    await context.addCookies([{ name, value, domain: u.hostname, path: '/', httpOnly: true, sameSite: 'Lax' }])
    await context.addInitScript(FIRST_ROW)

    const paint = []
    const open = []
    let loaded = new Set()
    for (let i = 0; i < RUNS + 1; i++) {
      const page = await context.newPage()
      const assets = new Set()
      page.on('request', (r) => {
        const m = /\/(assets\/[^?]+\.(?:js|css))$/.exec(new URL(r.url()).pathname)
        if (m) assets.add(m[1])
      })
      await page.goto(base + '/inbox/all', { waitUntil: 'commit' })
      await page.waitForFunction(() => window.__firstRow, null, { timeout: 60_000, polling: 50 })
      const t = await page.evaluate(() => window.__firstRow)
      if (i === 0) loaded = new Set(assets)
      // The first run warms the server's caches (and the browser's HTTP cache); it is not counted.
      if (i > 0) paint.push(t)
      // Open the big ticket from the list: click → its last message is visible.
      const link = page.locator(`tr[data-ticket="${big.id}"] a`)
      await link.waitFor({ timeout: 60_000 })
      const ms = await page.evaluate(
        ({ id, last }) =>
          new Promise((resolve, reject) => {
            const a = document.querySelector(`tr[data-ticket="${id}"] a`)
            const t0 = performance.now()
            a.click()
            const stop = setTimeout(() => reject(new Error('timeout')), 60_000)
            const check = () => {
              const el = document.querySelector(`[data-message="${last}"]`)
              const tl = el?.closest('.timeline')
              if (el && tl) {
                const r = el.getBoundingClientRect()
                const v = tl.getBoundingClientRect()
                if (r.height > 0 && r.top < v.bottom && r.bottom > v.top) {
                  clearTimeout(stop)
                  return requestAnimationFrame(() => resolve(performance.now() - t0))
                }
              }
              requestAnimationFrame(check)
            }
            check()
          }),
        { id: big.id, last: big.last },
      )
      if (i > 0) open.push(ms)
      log(`run ${i}${i ? '' : ' (warm-up)'}: first inbox paint ${t.toFixed(0)} ms, open #${big.number} ${ms.toFixed(0)} ms`)
      await page.close()
    }

    const entry = entryAssets()
    const firstLoad = [...new Set([...entry, ...loaded])]
    const sum = (files) => files.reduce((n, f) => n + gz(f), 0)
    const result = {
      runs: RUNS,
      tickets_seeded: Number(TICKETS),
      entry_gzip_bytes: sum(entry),
      entry_assets: entry,
      inbox_first_load_gzip_bytes: sum(firstLoad),
      inbox_first_load_assets: firstLoad.sort(),
      first_inbox_paint_ms: Math.round(median(paint)),
      first_inbox_paint_all_ms: paint.map(Math.round),
      open_500_message_ticket_ms: Math.round(median(open)),
      open_500_message_ticket_all_ms: open.map(Math.round),
      ticket_messages: big.messages,
      chromium: browser.version(),
    }
    console.log(JSON.stringify(result, null, 2))
    console.log(`
| figure | value |
|---|---|
| first-load JS+CSS, gzip (index.html assets) | ${(result.entry_gzip_bytes / 1024).toFixed(1)} KiB |
| JS+CSS loaded until the inbox shows, gzip | ${(result.inbox_first_load_gzip_bytes / 1024).toFixed(1)} KiB |
| first inbox paint (navigation start → first row), median of ${RUNS} | ${result.first_inbox_paint_ms} ms |
| open a ${big.messages}-message ticket (click → last message visible), median of ${RUNS} | ${result.open_500_message_ticket_ms} ms |`)
  } finally {
    await browser.close()
    await proxy?.stop()
    server.stop()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
