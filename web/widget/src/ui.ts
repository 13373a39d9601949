// The chat window: launcher, header, messages, pre-chat form, rating and
// composer, drawn into the widget's shadow root. Every text from the
// server or the visitor goes in with textContent; the one exception is a
// bot answer's HTML, which the server sanitised (bluemonday).
import { ApiError, Client, LiveSocket, type SiteUser } from './api'
import { callbackAt, confirmation, dayOptions, plausibleNumber, timeOptions } from './callback'
import { translator, type Lang, type T } from './i18n'
import {
  answeredConversation,
  askRating,
  clientId,
  isImage,
  lastId,
  latest,
  maxUpload,
  mergeMessages,
  needsReceipt,
  seenMessageId,
  upsertConversation,
  waitText,
  type Conversation,
  type Frame,
  type Message,
  type Session,
  type Status,
} from './state'

type Listeners = Record<string, (e: Event) => void>
interface Attrs {
  on?: Listeners
  [name: string]: string | boolean | number | undefined | Listeners
}

/** h makes an element with attributes (on* as listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'on' || v === undefined || v === false) continue
    el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const [ev, fn] of Object.entries(attrs.on ?? {})) el.addEventListener(ev, fn)
  for (const c of children) if (c != null) el.append(typeof c === 'string' ? document.createTextNode(c) : c)
  return el
}

const svgNS = 'http://www.w3.org/2000/svg'
function icon(path: string): SVGSVGElement {
  const svg = document.createElementNS(svgNS, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('aria-hidden', 'true')
  const p = document.createElementNS(svgNS, 'path')
  p.setAttribute('d', path)
  svg.append(p)
  return svg
}
const chatIcon = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z'
const clipIcon = 'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z'
const sendIcon = 'M2 21l21-9L2 3v7l15 2-15 2z'
const phoneIcon =
  'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z'

/** readableOn picks black or white text for a background colour. */
export function readableOn(hex: string): string {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex)
  if (!m) return '#fff'
  let s = m[1]
  if (s.length === 3) s = s.replace(/./g, (c) => c + c)
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(s.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 ? '#111' : '#fff'
}

export interface Options {
  base: string
  channel: number
  lang: Lang
  user?: SiteUser
  storage: Storage | null
}

export class Widget {
  private readonly t: T
  private readonly client: Client
  private socket: LiveSocket | null = null
  private session: Session | null = null
  private messages: Message[] = []
  private conversations: Conversation[] = []
  private status: Status = { open: true }
  private isOpen = false
  private live = false // the socket is ready and reports changes
  private unread = 0
  private stick = false // scroll to the newest message on the next render
  private fresh = false // the next message starts a new conversation
  private receipts = new Set<string>()
  private lastTyping = 0
  private typingTimer: ReturnType<typeof setTimeout> | undefined
  private readonly nodes = new Map<number, HTMLElement>()
  /** notes are the widget's own lines in the log, each after a message id (0: the greeting). */
  private readonly notes: { after: number; el: HTMLElement }[] = []
  private readonly key: string

  // Elements.
  readonly wrap: HTMLDivElement
  private launcher!: HTMLButtonElement
  private badge!: HTMLSpanElement
  private panel!: HTMLElement
  private titleEl!: HTMLHeadingElement
  private sub!: HTMLParagraphElement
  private avatar!: HTMLImageElement
  private banner!: HTMLDivElement
  private log!: HTMLDivElement
  private greet!: HTMLParagraphElement
  private typing!: HTMLParagraphElement
  private prechat!: HTMLFormElement
  private rating!: HTMLFormElement
  private closed!: HTMLDivElement
  private closedText!: HTMLParagraphElement
  private composer!: HTMLFormElement
  private callbackBar!: HTMLDivElement
  /** callbackForm is in the window only while open, so a fresh one starts empty each time. */
  private callbackForm: HTMLFormElement | null = null
  private input!: HTMLTextAreaElement
  private file!: HTMLInputElement
  private error!: HTMLParagraphElement

  constructor(
    private readonly root: ShadowRoot,
    private readonly opts: Options,
  ) {
    this.t = translator(opts.lang)
    this.client = new Client(opts.base, opts.channel)
    this.key = `loket-chat:${opts.base}:${opts.channel}`
    this.wrap = this.build()
    root.append(this.wrap)
  }

  private build(): HTMLDivElement {
    const t = this.t
    this.badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' })
    this.launcher = h(
      'button',
      { class: 'launcher', type: 'button', 'aria-label': t('open'), 'aria-expanded': 'false', 'aria-controls': 'lk-panel', on: { click: () => this.toggle() } },
      icon(chatIcon),
      this.badge,
    )
    this.avatar = h('img', { alt: '', hidden: true })
    this.titleEl = h('h2', { id: 'lk-title' }, t('title'))
    this.sub = h('p', { id: 'lk-sub' })
    const closeBtn = h('button', { type: 'button', 'aria-label': t('close'), on: { click: () => this.toggle(false) } }, '×')
    this.banner = h('div', { class: 'banner', role: 'status', hidden: true })
    this.greet = h('p', { class: 'greet' })
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-labelledby': 'lk-title', tabindex: '0' }, this.greet)
    this.typing = h('p', { class: 'typing', 'aria-live': 'polite' })
    this.prechat = this.buildPrechat()
    this.rating = this.buildRating()
    this.closedText = h('p', {}, t('solved'))
    this.closed = h(
      'div',
      { class: 'closed', hidden: true },
      this.closedText,
      h('button', { type: 'button', class: 'primary', on: { click: () => this.startNew() } }, t('newConversation')),
    )
    this.input = h('textarea', { id: 'lk-input', rows: '1', placeholder: t('placeholder'), maxlength: '5000', on: { input: () => this.onTyping(), keydown: (e) => this.onKey(e as KeyboardEvent) } })
    this.file = h('input', { type: 'file', class: 'sr', tabindex: '-1', 'aria-hidden': 'true', accept: 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain', on: { change: () => this.onFile() } })
    this.composer = h(
      'form',
      { class: 'composer', on: { submit: (e) => (e.preventDefault(), this.sendText()) } },
      h('label', { class: 'sr', for: 'lk-input' }, t('messageLabel')),
      this.input,
      this.file,
      h('button', { type: 'button', class: 'icon', 'aria-label': t('attach'), on: { click: () => this.file.click() } }, icon(clipIcon)),
      h('button', { type: 'submit', class: 'icon', 'aria-label': t('send') }, icon(sendIcon)),
    )
    this.error = h('p', { class: 'error', role: 'alert' })
    this.callbackBar = h(
      'div',
      { class: 'actions', hidden: true },
      h('button', { type: 'button', 'aria-haspopup': 'true', on: { click: () => this.askCallback(true) } }, icon(phoneIcon), t('callback')),
    )
    this.panel = h(
      'section',
      { class: 'panel', id: 'lk-panel', role: 'dialog', 'aria-labelledby': 'lk-title', 'aria-describedby': 'lk-sub', hidden: true, on: { keydown: (e) => this.onPanelKey(e as KeyboardEvent) } },
      h('header', {}, this.avatar, h('div', { class: 'head' }, this.titleEl, this.sub), closeBtn),
      this.banner,
      this.log,
      this.typing,
      this.error,
      this.prechat,
      this.rating,
      this.closed,
      this.callbackBar,
      this.composer,
    )
    return h('div', { class: 'lk' }, this.panel, this.launcher)
  }

  private buildPrechat(): HTMLFormElement {
    const t = this.t
    const name = h('input', { name: 'name', autocomplete: 'name', maxlength: '100', required: true })
    const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', maxlength: '254' })
    return h(
      'form',
      {
        class: 'prechat',
        hidden: true,
        on: {
          submit: async (e) => {
            e.preventDefault()
            try {
              const r = await this.client.profile(name.value, email.value)
              if (this.session) this.session.visitor = r.visitor
              this.render()
              this.input.focus()
            } catch (err) {
              this.fail(err)
            }
          },
        },
      },
      h('p', {}, t('prechatIntro')),
      h('label', {}, t('name'), name),
      h('label', {}, t('email'), email),
      h('button', { type: 'submit', class: 'primary' }, t('start')),
    )
  }

  private buildRating(): HTMLFormElement {
    const t = this.t
    let score = 0
    const stars: HTMLButtonElement[] = []
    const group = h('div', { class: 'stars', role: 'group', 'aria-label': t('rateQuestion') })
    for (let n = 1; n <= 5; n++) {
      const b = h('button', {
        type: 'button',
        'aria-label': t('rateStar', { n }),
        'aria-pressed': 'false',
        on: {
          click: () => {
            score = n
            stars.forEach((s, i) => {
              s.setAttribute('aria-pressed', String(i + 1 === n))
              s.classList.toggle('lit', i < n)
            })
          },
        },
      }, '★')
      stars.push(b)
      group.append(b)
    }
    const comment = h('textarea', { rows: '2', maxlength: '2000' })
    return h(
      'form',
      {
        class: 'rating',
        hidden: true,
        on: {
          submit: async (e) => {
            e.preventDefault()
            const c = latest(this.conversations)
            if (!c || score === 0) return
            try {
              const r = await this.client.rate(c.id, score, comment.value)
              this.conversations = upsertConversation(this.conversations, r.conversation)
              this.render()
            } catch (err) {
              this.fail(err)
            }
          },
        },
      },
      h('p', {}, t('rateQuestion')),
      group,
      h('label', {}, t('rateComment'), comment),
      h('button', { type: 'submit', class: 'primary' }, t('rateSend')),
    )
  }

  private buildCallback(): HTMLFormElement {
    const t = this.t
    const lang = this.opts.lang
    const err = h('p', { class: 'error', role: 'alert', id: 'lk-cb-error' })
    const number = h('input', { name: 'number', type: 'tel', autocomplete: 'tel', inputmode: 'tel', maxlength: '40', required: true, 'aria-describedby': 'lk-cb-error' })
    const name = h('input', { name: 'name', autocomplete: 'name', maxlength: '100' })
    const asap = h('input', { type: 'radio', name: 'when', value: 'asap', checked: true })
    const later = h('input', { type: 'radio', name: 'when', value: 'later' })
    const day = h('select', { name: 'day', id: 'lk-cb-day' })
    const time = h('select', { name: 'time', id: 'lk-cb-time' })
    // Labels beside, not around, the lists: a list inside its label would
    // lend the label its options' text.
    const choose = h(
      'div',
      { class: 'when', hidden: true },
      h('span', {}, h('label', { for: 'lk-cb-day' }, t('callbackDay')), day),
      h('span', {}, h('label', { for: 'lk-cb-time' }, t('callbackTime')), time),
    )
    const note = h('textarea', { name: 'note', rows: '2', maxlength: '2000' })
    const fillTimes = () => {
      const keep = time.value
      time.replaceChildren(...timeOptions(day.value, Date.now()).map((v) => h('option', { value: v }, v)))
      if ([...time.options].some((o) => o.value === keep)) time.value = keep
    }
    const fillDays = () => {
      const keep = day.value
      day.replaceChildren(...dayOptions(Date.now(), lang).map((o) => h('option', { value: o.value }, o.label)))
      if ([...day.options].some((o) => o.value === keep)) day.value = keep
      fillTimes()
    }
    const pick = () => {
      choose.hidden = !later.checked
      if (later.checked) fillDays()
    }
    asap.addEventListener('change', pick)
    later.addEventListener('change', pick)
    day.addEventListener('change', fillTimes)
    const form = h(
      'form',
      {
        class: 'callback',
        novalidate: true,
        'aria-labelledby': 'lk-cb-title',
        on: {
          submit: async (e) => {
            e.preventDefault()
            err.textContent = ''
            number.removeAttribute('aria-invalid')
            if (!plausibleNumber(number.value)) {
              err.textContent = t('callbackBadNumber')
              number.setAttribute('aria-invalid', 'true')
              number.focus()
              return
            }
            let at = ''
            if (later.checked) {
              at = callbackAt(day.value, time.value, Date.now())
              if (!at) {
                fillDays() // the chosen time has passed meanwhile
                time.focus()
                return
              }
            }
            try {
              const r = await this.client.callback({ number: number.value.trim(), name: name.value.trim(), at, note: note.value.trim() })
              this.note(confirmation(t, r.number, r.at, lang))
              this.askCallback(false)
            } catch (e) {
              if (e instanceof ApiError && e.code === 'invalid_phone') {
                err.textContent = t('callbackBadNumber')
                number.setAttribute('aria-invalid', 'true')
                number.focus()
              } else if (e instanceof ApiError && e.code === 'rate_limited') {
                err.textContent = t('callbackTooMany')
              } else {
                err.textContent = e instanceof ApiError ? e.message : t('failed')
              }
            }
          },
        },
      },
      h('p', { id: 'lk-cb-title', class: 'title' }, t('callbackIntro')),
      h('label', {}, t('callbackNumber'), number),
      h('label', {}, t('callbackName'), name),
      h(
        'fieldset',
        {},
        h('legend', {}, t('callbackWhen')),
        h('label', { class: 'choice' }, asap, t('callbackAsap')),
        h('label', { class: 'choice' }, later, t('callbackLater')),
        choose,
      ),
      h('label', {}, t('callbackNote'), note),
      err,
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary' }, t('callbackSend')),
        h('button', { type: 'button', class: 'secondary', on: { click: () => this.askCallback(false) } }, t('callbackCancel')),
      ),
    )
    return form
  }

  /** askCallback opens or closes the callback form. */
  askCallback(open: boolean) {
    this.callbackForm?.remove()
    this.callbackForm = null
    if (open) {
      this.callbackForm = this.buildCallback()
      this.callbackBar.before(this.callbackForm)
      this.callbackForm.querySelector<HTMLInputElement>('input[name=name]')!.value = this.session?.visitor.name ?? ''
    }
    this.render()
    if (open) this.callbackForm!.querySelector<HTMLInputElement>('input[name=number]')!.focus()
    else this.input.focus()
  }

  /** note adds the widget's own line to the log, after the newest message. */
  private note(text: string) {
    this.notes.push({ after: lastId(this.messages), el: h('p', { class: 'note', role: 'status' }, text) })
    this.stick = true
    this.render()
  }

  /** start opens the session and the socket. */
  async start(): Promise<void> {
    this.client.token = this.read() ?? ''
    let s: Session
    try {
      s = await this.client.start(this.opts.lang, this.opts.user)
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'invalid_identity' || err.code === 'identity_not_configured' || err.code === 'invalid_user')) {
        console.warn(`Loket chat: ${err.message}; continuing without the signed-in user`)
        s = await this.client.start(this.opts.lang)
      } else {
        throw err
      }
    }
    if (s.token) {
      this.client.token = s.token
      this.write(s.token)
    }
    this.session = s
    this.messages = mergeMessages([], s.messages)
    this.conversations = s.conversations
    this.status = s.status
    this.applyChannel()
    this.render()
    this.connect()
  }

  private read(): string | null {
    try {
      return this.opts.storage?.getItem(this.key) ?? null
    } catch {
      return null
    }
  }

  private write(token: string | null) {
    try {
      if (token) this.opts.storage?.setItem(this.key, token)
      else this.opts.storage?.removeItem(this.key)
    } catch {
      // Storage may be blocked; the chat still works for this page.
    }
  }

  private connect() {
    this.socket?.close()
    this.socket = new LiveSocket(this.client, {
      after: () => lastId(this.messages),
      frame: (f) => this.onFrame(f),
      online: (up) => {
        this.live = up
        this.error.textContent = up ? '' : this.t('offline')
      },
      unknown: () => {
        // Another tab may have been given the visitor's new token (tokens
        // are replaced weekly): take it; else this visitor's token lapsed.
        const stored = this.read()
        if (!stored || stored === this.client.token) this.write(null)
        this.client.token = ''
        this.start().catch((err) => this.fail(err))
      },
    })
    this.socket.open()
  }

  private applyChannel() {
    const ch = this.session!.channel
    const color = ch.color || '#0b5fff'
    this.wrap.style.setProperty('--lk-color', color)
    this.wrap.style.setProperty('--lk-on', readableOn(color))
    this.titleEl.textContent = ch.title || this.t('title')
    this.panel.setAttribute('aria-label', ch.title || this.t('title'))
    this.greet.textContent = ch.greeting[this.opts.lang] || ch.greeting.en || this.t('greeting')
    if (ch.avatar_url && /^https?:/.test(ch.avatar_url)) {
      this.avatar.src = ch.avatar_url
      this.avatar.hidden = false
    }
  }

  onFrame(f: Frame) {
    switch (f.type) {
      case 'ready':
        if (f.conversations) this.conversations = f.conversations
        if (f.status) this.status = f.status
        this.add(f.messages ?? [])
        break
      case 'message':
        if (f.message) this.add([f.message])
        break
      case 'conversation':
        if (f.conversation) this.conversations = upsertConversation(this.conversations, f.conversation)
        if (f.status) this.status = f.status
        this.add(f.messages ?? [])
        break
      case 'typing':
        this.typing.textContent = this.t('typing', { name: f.name || this.t('someone') })
        clearTimeout(this.typingTimer)
        this.typingTimer = setTimeout(() => (this.typing.textContent = ''), 6000)
        break
      case 'read': {
        const c = this.conversations.find((x) => x.id === f.conversation_id)
        if (c && f.at) this.conversations = upsertConversation(this.conversations, { ...c, agent_read_at: f.at })
        break
      }
      case 'status':
        if (f.status) this.status = f.status
        break
    }
    this.render()
  }

  private add(msgs: Message[]) {
    const before = new Set(this.messages.map((m) => m.id))
    this.messages = mergeMessages(this.messages, msgs)
    for (const m of msgs) {
      if (before.has(m.id)) continue
      // The visitor's own message always brings the log to the newest.
      if (m.direction === 'in') this.stick = true
      if (m.direction !== 'out') continue
      this.typing.textContent = ''
      if (!this.isOpen) this.unread++
    }
    this.receipt('delivered')
  }

  /** receipt tells the server which replies arrived or were seen. */
  private receipt(kind: 'delivered' | 'read') {
    const ids = needsReceipt(this.messages, kind, this.receipts)
    if (ids.length === 0 || !this.socket) return
    ids.forEach((id) => this.receipts.add(`${kind}:${id}`))
    this.socket.send({ type: kind, ids })
  }

  private visible(): boolean {
    return this.isOpen && (typeof document.visibilityState !== 'string' || document.visibilityState === 'visible')
  }

  toggle(open = !this.isOpen) {
    this.isOpen = open
    this.panel.hidden = !open
    this.launcher.setAttribute('aria-expanded', String(open))
    this.launcher.setAttribute('aria-label', this.t(open ? 'close' : 'open'))
    if (open) {
      this.unread = 0
      this.render()
      const first = !this.prechat.hidden ? this.prechat.querySelector('input') : this.input
      first?.focus()
      this.log.scrollTop = this.log.scrollHeight
    } else {
      this.launcher.focus()
    }
  }

  private onPanelKey(e: KeyboardEvent) {
    if (e.key === 'Escape') {
      e.preventDefault()
      this.toggle(false)
    }
  }

  private onKey(e: KeyboardEvent) {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault()
      this.sendText()
    }
  }

  private onTyping() {
    const now = Date.now()
    if (now - this.lastTyping > 2000) {
      this.lastTyping = now
      this.socket?.send({ type: 'typing' })
    }
  }

  private async sendText(text = this.input.value.trim(), quickReply?: string) {
    if (!text) return
    const id = clientId()
    this.error.textContent = ''
    try {
      const r = await this.client.send(text, id, { quickReply, newConversation: this.fresh })
      if (!quickReply) this.input.value = ''
      this.fresh = false
      this.conversations = answeredConversation(this.conversations, r.conversation, this.live)
      this.messages = mergeMessages(this.messages, [r.message])
      this.render()
    } catch (err) {
      this.fail(err)
    }
  }

  private async onFile() {
    const f = this.file.files?.[0]
    this.file.value = ''
    if (!f) return
    if (f.size > maxUpload) {
      this.error.textContent = this.t('tooLarge')
      return
    }
    try {
      const r = await this.client.upload(f, this.input.value.trim(), clientId())
      this.input.value = ''
      this.conversations = answeredConversation(this.conversations, r.conversation, this.live)
      this.messages = mergeMessages(this.messages, [r.message])
      this.render()
    } catch (err) {
      this.fail(err)
    }
  }

  private startNew() {
    this.fresh = true
    this.closed.hidden = true
    this.composer.hidden = false
    this.input.focus()
  }

  private fail(err: unknown) {
    this.error.textContent = err instanceof ApiError ? err.message : this.t('failed')
  }

  /** render brings the window in line with the state. */
  render() {
    if (!this.session) return
    const t = this.t
    const v = this.session.visitor
    const conv = latest(this.conversations)
    this.badge.hidden = this.unread === 0
    this.badge.textContent = String(this.unread)
    // Status line and banner: business hours, the expected wait.
    // Measured before forms and banners change the log's height, so the
    // newest message stays in view when the rating form appears.
    const atBottom = this.atBottom()
    // The wait shows once, in the banner above the messages.
    const wait = waitText(this.status, conv, t, this.opts.lang, v.verified, !!v.email)
    this.banner.hidden = !wait
    this.banner.replaceChildren(wait)
    if (!this.status.open && !v.verified && !v.email && !this.session.channel.prechat) this.banner.append(this.emailForm())
    this.sub.textContent = this.session.channel.title ? t('team') : ''
    // Forms: pre-chat before the first message, rating after a solved one.
    const needPrechat = this.session.channel.prechat && !v.verified && !v.name && this.messages.length === 0
    this.prechat.hidden = !needPrechat
    const rate = askRating(conv) && !this.fresh
    this.rating.hidden = !rate
    const done = !!conv && conv.rated && (conv.status === 'solved' || conv.status === 'closed') && !this.fresh
    this.closed.hidden = !done
    this.closedText.textContent = conv?.rated ? `${t('rateThanks')} ${t('solved')}` : t('solved')
    const callbacks = !!this.session.channel.callbacks && !needPrechat
    if (!callbacks && this.callbackForm) {
      this.callbackForm.remove()
      this.callbackForm = null
    }
    this.callbackBar.hidden = !callbacks || !!this.callbackForm
    this.composer.hidden = needPrechat || done || !!this.callbackForm
    this.renderMessages(atBottom || this.stick)
    this.stick = false
    if (this.visible()) this.receipt('read')
  }

  private emailForm(): HTMLFormElement {
    const t = this.t
    const input = h('input', { type: 'email', autocomplete: 'email', 'aria-label': t('emailLater'), placeholder: t('emailLater') })
    return h(
      'form',
      {
        on: {
          submit: async (e) => {
            e.preventDefault()
            try {
              const r = await this.client.profile(this.session?.visitor.name ?? '', input.value)
              if (this.session) this.session.visitor = r.visitor
              this.sub.textContent = t('saved')
              this.render()
            } catch (err) {
              this.fail(err)
            }
          },
        },
      },
      input,
      h('button', { type: 'submit', class: 'primary' }, t('save')),
    )
  }

  /** atBottom says whether the log shows its newest message (or nearly). */
  private atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40
  }

  private renderMessages(atBottom: boolean) {
    const t = this.t
    const seen = seenMessageId(this.messages, latest(this.conversations))
    const lastMsg = this.messages[this.messages.length - 1]
    let prevConv = 0
    let anchor: Node = this.greet
    const notesAfter = (id: number) => {
      for (const n of this.notes) if (n.after === id) anchor = place(this.log, n.el, anchor)
    }
    notesAfter(0)
    for (const m of this.messages) {
      if (prevConv && m.conversation_id !== prevConv) {
        const sepId = -m.id
        let sep = this.nodes.get(sepId)
        if (!sep) {
          sep = h('p', { class: 'sep', 'aria-hidden': 'true' }, '—')
          this.nodes.set(sepId, sep)
        }
        anchor = place(this.log, sep, anchor)
      }
      prevConv = m.conversation_id
      let el = this.nodes.get(m.id)
      if (!el) {
        el = this.messageNode(m)
        this.nodes.set(m.id, el)
      }
      const seenEl = el.querySelector('.seen')
      if (seenEl) seenEl.textContent = m.id === seen ? t('seen') : ''
      const quick = el.querySelector('.quick') as HTMLElement | null
      if (quick) quick.hidden = m !== lastMsg
      anchor = place(this.log, el, anchor)
      notesAfter(m.id)
    }
    if (atBottom) this.log.scrollTop = this.log.scrollHeight
  }

  private messageNode(m: Message): HTMLElement {
    const t = this.t
    const cls = ['msg', m.direction, m.author === 'bot' ? 'bot' : ''].join(' ').trim()
    const who = h('span', { class: 'who' })
    if (m.direction === 'in') {
      who.append(h('span', { class: 'sr' }, t('you')))
    } else if (m.author === 'bot') {
      who.append(h('span', { class: 'tag' }, t('bot')), this.session?.channel.title ?? '')
    } else {
      who.append(m.author_name || t('team'))
    }
    const el = h('div', { class: cls, 'data-id': m.id }, who)
    if (m.html && m.author === 'bot') {
      const bubble = h('div', { class: 'bubble html' })
      bubble.innerHTML = m.html
      el.append(bubble)
    } else if (m.text) el.append(h('div', { class: 'bubble' }, m.text))
    for (const a of m.attachments) el.append(this.attachmentNode(a.id, a.filename, isImage(a)))
    if (m.quick_replies?.length) {
      const q = h('div', { class: 'quick' })
      for (const r of m.quick_replies) {
        q.append(h('button', { type: 'button', on: { click: () => this.sendText(r.label, r.id) } }, r.label))
      }
      el.append(q)
    }
    if (m.direction === 'in') el.append(h('span', { class: 'seen' }))
    return el
  }

  private attachmentNode(id: number, name: string, image: boolean): HTMLElement {
    if (image) {
      const img = h('img', { alt: name })
      this.client
        .attachment(id)
        .then((b) => (img.src = URL.createObjectURL(b)))
        .catch(() => img.replaceWith(document.createTextNode(name)))
      return img
    }
    return h(
      'button',
      {
        type: 'button',
        class: 'file',
        'aria-label': this.t('download', { name }),
        on: {
          click: async () => {
            const b = await this.client.attachment(id)
            const a = h('a', { href: URL.createObjectURL(b), download: name })
            this.root.append(a)
            a.click()
            a.remove()
          },
        },
      },
      name,
    )
  }

  /** visibilityChanged sends read receipts when the visitor comes back. */
  visibilityChanged() {
    if (this.visible()) this.receipt('read')
  }
}

/** place puts el right after anchor in parent (moving it if needed) and returns it. */
function place(parent: HTMLElement, el: HTMLElement, anchor: Node): HTMLElement {
  if (anchor.nextSibling !== el) parent.insertBefore(el, anchor.nextSibling)
  return el
}
