// The realtime stream: a WebSocket to /api/v1/stream (same origin, cookie
// auth) that reconnects with backoff. After a reconnect the caller catches
// up by refetching what it shows, since events sent meanwhile are lost.
import { backoff } from './logic'
import type { StreamEvent } from './types'

export interface StreamHandlers {
  onEvent(ev: StreamEvent): void
  /** Called on each hello; reconnected is true after the first. */
  onConnected(reconnected: boolean): void
  onDisconnected(): void
}

type SocketFactory = (url: string) => WebSocket

export class Stream {
  private ws: WebSocket | null = null
  private attempt = 0
  private connectedOnce = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private stopped = false

  constructor(
    private url: string,
    private h: StreamHandlers,
    private factory: SocketFactory = (u) => new WebSocket(u),
  ) {}

  static defaultURL(): string {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
    return `${proto}//${location.host}/api/v1/stream`
  }

  start() {
    this.stopped = false
    this.open()
  }

  stop() {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const ws = this.ws
    this.ws = null
    ws?.close()
  }

  /** send writes a frame (JSON) when connected; returns whether it went out. */
  send(frame: unknown): boolean {
    const ws = this.ws
    if (!ws || ws.readyState !== 1) return false
    try {
      ws.send(JSON.stringify(frame))
      return true
    } catch {
      return false
    }
  }

  private open() {
    if (this.stopped) return
    let ws: WebSocket
    try {
      ws = this.factory(this.url)
    } catch {
      this.retry()
      return
    }
    this.ws = ws
    ws.onmessage = (e) => {
      let ev: StreamEvent
      try {
        ev = JSON.parse(String(e.data))
      } catch {
        return
      }
      if (ev.type === 'hello') {
        this.attempt = 0
        const re = this.connectedOnce
        this.connectedOnce = true
        this.h.onConnected(re)
        return
      }
      if (ev.type === 'resync') {
        // The server dropped events for this client: catch up as after a
        // reconnect, still connected.
        this.h.onConnected(true)
        return
      }
      this.h.onEvent(ev)
    }
    ws.onclose = () => {
      if (this.ws !== ws) return
      this.ws = null
      this.h.onDisconnected()
      this.retry()
    }
    ws.onerror = () => {
      // onclose follows and schedules the retry
    }
  }

  private retry() {
    if (this.stopped || this.timer) return
    const delay = backoff(this.attempt++)
    this.timer = setTimeout(() => {
      this.timer = null
      this.open()
    }, delay)
  }
}
