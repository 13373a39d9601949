// Talking to Loket: the visitor endpoints (JSON posted as text/plain, so a
// browser sends them across origins without a preflight) and the socket,
// which reconnects with backoff and catches up from the last message id.
import { backoff, type Conversation, type Frame, type Message, type Session, type Visitor } from './state'

export interface SiteUser {
  id: string
  email?: string
  name?: string
  hmac: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Callback is a recorded callback request. */
export interface Callback {
  id: string
  /** number is the number we will call, in E.164 form. */
  number: string
  at?: string
}

export interface Sent {
  message: Message
  conversation: Conversation
}

export class Client {
  token = ''
  private readonly root: string

  constructor(
    readonly base: string,
    readonly channel: number,
  ) {
    this.root = `${base}/api/v1/webchat/${channel}`
  }

  private async post<R>(path: string, body: unknown): Promise<R> {
    const res = await fetch(`${this.root}/${path}`, { method: 'POST', body: JSON.stringify(body), credentials: 'omit' })
    return answer<R>(res)
  }

  start(language: string, user?: SiteUser): Promise<Session> {
    return this.post<Session>('session', { token: this.token, language, user })
  }

  profile(name: string, email: string): Promise<{ visitor: Visitor }> {
    return this.post('profile', { token: this.token, name, email })
  }

  send(text: string, clientId: string, opts: { quickReply?: string; newConversation?: boolean } = {}): Promise<Sent> {
    return this.post('messages', {
      token: this.token,
      client_id: clientId,
      text,
      quick_reply: opts.quickReply,
      new_conversation: opts.newConversation,
      // The page's path names an anonymous visitor for the agents.
      page: location.pathname,
    })
  }

  async upload(file: File, text: string, clientId: string): Promise<Sent> {
    const form = new FormData()
    form.set('token', this.token)
    form.set('client_id', clientId)
    form.set('text', text)
    form.set('file', file, file.name)
    const res = await fetch(`${this.root}/uploads`, { method: 'POST', body: form, credentials: 'omit' })
    return answer<Sent>(res)
  }

  history(after: number): Promise<{ messages: Message[]; conversations: Conversation[] }> {
    return this.post('history', { token: this.token, after })
  }

  rate(conversationId: number, score: number, comment: string): Promise<{ conversation: Conversation }> {
    return this.post('rating', { token: this.token, conversation_id: conversationId, score, comment })
  }

  /** callback asks to be called back; at is RFC 3339, or '' for as soon as possible. */
  callback(r: { number: string; name: string; at: string; note: string }): Promise<Callback> {
    return this.post('callback', { token: this.token, ...r })
  }

  async attachment(id: number): Promise<Blob> {
    const res = await fetch(`${this.root}/attachments/${id}`, {
      method: 'POST',
      body: JSON.stringify({ token: this.token }),
      credentials: 'omit',
    })
    if (!res.ok) await answer(res)
    return res.blob()
  }

  socketURL(): string {
    return this.root.replace(/^http/, 'ws') + '/socket'
  }
}

async function answer<R>(res: Response): Promise<R> {
  const text = await res.text()
  let body: any = null
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = null
  }
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? 'http_' + res.status, body?.error?.message ?? res.statusText)
  return body as R
}

export interface SocketHandlers {
  after: () => number
  frame: (f: Frame) => void
  online: (up: boolean) => void
  /** unknown: the token is no longer valid; start a new session. */
  unknown: () => void
}

/** LiveSocket keeps one visitor socket open, reconnecting after drops. */
export class LiveSocket {
  private ws: WebSocket | null = null
  private attempt = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private stopped = false

  constructor(
    private readonly client: Client,
    private readonly on: SocketHandlers,
  ) {}

  open() {
    this.stopped = false
    const ws = new WebSocket(this.client.socketURL())
    this.ws = ws
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', token: this.client.token, after: this.on.after() }))
    ws.onmessage = (e) => {
      let f: Frame
      try {
        f = JSON.parse(String(e.data))
      } catch {
        return
      }
      if (f.type === 'ready') {
        this.attempt = 0
        this.on.online(true)
      }
      this.on.frame(f)
    }
    ws.onclose = (e) => {
      if (this.ws !== ws) return
      this.ws = null
      if (this.stopped) return
      this.on.online(false)
      if (e.code === 4001) {
        this.on.unknown()
        return
      }
      this.timer = setTimeout(() => this.open(), backoff(this.attempt++))
    }
  }

  send(frame: object) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame))
  }

  close() {
    this.stopped = true
    clearTimeout(this.timer)
    this.ws?.close()
    this.ws = null
  }
}
