// FakeSocket stands in for the browser's WebSocket in the widget's tests:
// it keeps what the widget sent and lets a test deliver server frames.
export class FakeSocket {
  static last: FakeSocket | null = null
  static OPEN = 1
  readyState = 1
  sent: any[] = []
  onopen: (() => void) | null = null
  onmessage: ((e: { data: string }) => void) | null = null
  onclose: ((e: { code: number }) => void) | null = null
  constructor(readonly url: string) {
    FakeSocket.last = this
  }
  send(s: string) {
    this.sent.push(JSON.parse(s))
  }
  close() {}
  frame(f: object) {
    this.onmessage?.({ data: JSON.stringify(f) })
  }
}
