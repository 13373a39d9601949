import { describe, expect, it, vi } from 'vitest'
import { Stream } from '../realtime'
import type { StreamEvent } from '../types'

class FakeSocket {
  onmessage: ((e: { data: string }) => void) | null = null
  onclose: (() => void) | null = null
  onerror: (() => void) | null = null
  closed = false
  send(ev: object) {
    this.onmessage?.({ data: JSON.stringify(ev) })
  }
  close() {
    this.closed = true
    this.onclose?.()
  }
}

describe('Stream', () => {
  it('delivers events, reconnects with backoff and reports the reconnect for catch-up', async () => {
    vi.useFakeTimers()
    const sockets: FakeSocket[] = []
    const events: StreamEvent[] = []
    const connected: boolean[] = []
    let down = 0
    const s = new Stream('ws://x/api/v1/stream', {
      onEvent: (e) => events.push(e),
      onConnected: (re) => connected.push(re),
      onDisconnected: () => down++,
    }, () => {
      const f = new FakeSocket()
      sockets.push(f)
      return f as unknown as WebSocket
    })
    s.start()
    sockets[0].send({ type: 'hello', time: 1 })
    sockets[0].send({ type: 'ticket.created', ticket_id: 4 })
    expect(connected).toEqual([false])
    expect(events.map((e) => e.ticket_id)).toEqual([4])

    sockets[0].onclose?.() // the server went away
    expect(down).toBe(1)
    expect(sockets.length).toBe(1)
    await vi.advanceTimersByTimeAsync(600)
    expect(sockets.length).toBe(2)
    sockets[1].onclose?.() // still down: the next attempt waits longer
    await vi.advanceTimersByTimeAsync(400)
    expect(sockets.length).toBe(2)
    await vi.advanceTimersByTimeAsync(1000)
    expect(sockets.length).toBe(3)
    sockets[2].send({ type: 'hello', time: 2 })
    expect(connected).toEqual([false, true])

    s.stop()
    expect(sockets[2].closed).toBe(true)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(sockets.length).toBe(3)
    vi.useRealTimers()
  })

  it('catches up on a resync marker without reconnecting', () => {
    const sockets: FakeSocket[] = []
    const connected: boolean[] = []
    const events: StreamEvent[] = []
    const s = new Stream('ws://x/api/v1/stream', {
      onEvent: (e) => events.push(e),
      onConnected: (re) => connected.push(re),
      onDisconnected: () => {},
    }, () => {
      const f = new FakeSocket()
      sockets.push(f)
      return f as unknown as WebSocket
    })
    s.start()
    sockets[0].send({ type: 'hello', time: 1 })
    sockets[0].send({ type: 'resync' })
    sockets[0].send({ type: 'ticket.updated', ticket_id: 9 })
    expect(connected).toEqual([false, true])
    expect(events.map((e) => e.ticket_id)).toEqual([9])
    expect(sockets.length).toBe(1)
    s.stop()
  })
})
