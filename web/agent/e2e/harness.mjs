// Test harness: starts a Loket server on a temporary data directory and a
// free port, and a browser (Debian's Chromium through playwright-core).
//
// The server is `go run ./cmd/loket serve` from the repository root, or the
// binary named by LOKET_BIN. When that server does not serve the agent web
// app itself (not wired or built without it), a small same-origin proxy
// serves web/agent/build and forwards /api (and the WebSocket) to it.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
export const agentDir = path.resolve(here, '..')
export const repoRoot = path.resolve(agentDir, '../..')
export const distDir = path.join(agentDir, 'build')
export const screenshotDir = path.join(repoRoot, 'docs/screenshots')

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** startLoket runs a server and resolves once it listens, with its inbound token. */
export async function startLoket({ password = 'e2e-secret-password-1', email = 'admin@localhost' } = {}) {
  const data = mkdtempSync(path.join(tmpdir(), 'loket-e2e-'))
  const port = await freePort()
  const env = {
    ...process.env,
    LOKET_DATA: data,
    LOKET_ADDR: `127.0.0.1:${port}`,
    LOKET_ADMIN_EMAIL: email,
    LOKET_ADMIN_PASSWORD: password,
    LOKET_LOG_LEVEL: 'warn',
  }
  const [cmd, args] = process.env.LOKET_BIN
    ? [process.env.LOKET_BIN, ['serve']]
    : ['go', ['run', './cmd/loket', 'serve']]
  // detached: the server gets its own process group, so `go run` and the
  // binary it starts stop together.
  const child = spawn(cmd, args, { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 180s\n${out}\n${err}`)), 180_000)
    child.stdout.on('data', (d) => {
      out += d
      const token = out.match(/Bearer (lki_[A-Za-z0-9_-]+)/)
      if (/Loket is running/.test(out) && token) {
        clearTimeout(timer)
        resolve(token[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code})\n${out}\n${err}`))
    })
  })
  const token = await ready
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    token,
    email,
    password,
    stderr: () => err,
    async stop() {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {}
      await new Promise((r) => {
        if (child.exitCode !== null) return r()
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL')
          } catch {}
          r()
        }, 5000)
        child.once('exit', () => {
          clearTimeout(t)
          r()
        })
      })
      rmSync(data, { recursive: true, force: true })
    },
  }
}

/** servesApp says whether url answers / with the built agent app. */
export async function servesApp(url) {
  try {
    const res = await fetch(url + '/')
    return res.ok && (await res.text()).includes('<div id="app">')
  } catch {
    return false
  }
}

const types = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml' }

/** startProxy serves build and forwards /api (HTTP and WebSocket) to target. */
export async function startProxy(target) {
  if (!existsSync(path.join(distDir, 'index.html'))) throw new Error('web/agent/build is not built: run npm run build')
  const t = new URL(target)
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/api/')) {
      const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers)
        r.pipe(res)
      })
      up.on('error', () => res.destroy())
      req.pipe(up)
      return
    }
    let p = path.normalize(decodeURIComponent(req.url.split('?')[0])).replace(/^(\.\.[/\\])+/, '')
    let file = path.join(distDir, p)
    if (!p.startsWith('/assets/') || !existsSync(file)) file = path.join(distDir, 'index.html')
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' })
    res.end(readFileSync(file))
  })
  server.on('upgrade', (req, socket, head) => {
    const up = net.connect(Number(t.port), t.hostname, () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`
      up.write(raw + '\r\n')
      if (head?.length) up.write(head)
      socket.pipe(up).pipe(socket)
    })
    up.on('error', () => socket.destroy())
    socket.on('error', () => up.destroy())
  })
  const port = await freePort()
  await new Promise((r) => server.listen(port, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()) }),
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** inbound posts a customer message to the demo API channel (id 1). */
export async function inbound(loket, body) {
  const res = await fetch(`${loket.url}/api/v1/channels/1/inbound`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${loket.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`inbound: ${res.status} ${await res.text()}`)
  return res.json()
}

/**
 * startApp starts Loket and a browser for one test file. When the binary
 * does not embed the app (yet), a proxy serves web/agent/build in front of
 * it, same-origin; base is where the app is. stop ends all of it.
 */
export async function startApp() {
  const loket = await startLoket()
  let proxy
  let base = loket.url
  if (!(await servesApp(loket.url))) {
    proxy = await startProxy(loket.url)
    base = proxy.url
    console.log(`# server does not serve the web app; using a proxy for web/agent/build at ${base}`)
  }
  const browser = await launchBrowser()
  return {
    loket, browser, base,
    async stop() {
      await browser.close()
      await proxy?.stop()
      await loket.stop()
    },
  }
}

/** openPage opens a page in a browser context of its own, 1280×800 in locale. */
export async function openPage(browser, locale = 'en-GB') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale })
  const page = await context.newPage()
  page.setDefaultTimeout(30_000)
  return page
}

/** signIn signs the first admin in on page and waits for the inbox. */
export async function signIn(page, app) {
  await page.goto(app.base + '/login')
  await page.getByLabel('E-mail address').fill(app.loket.email)
  await page.getByLabel('Password').fill(app.loket.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/inbox/)
}

/**
 * pageAPI returns a function that calls the REST API as the agent signed
 * in on page, from inside it (same origin, session cookie): GET without
 * data, POST with it unless method says otherwise. It fails the test on
 * an error answer.
 */
export function pageAPI(page) {
  return async (p, data, method = data === undefined ? 'GET' : 'POST') => {
    const r = await page.evaluate(async ([p, data, method]) => {
      const res = await fetch(p, { method, headers: { 'Content-Type': 'application/json' }, body: data === undefined ? undefined : JSON.stringify(data) })
      return { ok: res.ok, status: res.status, text: await res.text() }
    }, [p, data, method])
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${r.text}`)
    return r.text ? JSON.parse(r.text) : null
  }
}
