import { reactive } from 'vue'

export interface Toast {
  id: number
  text: string
  to?: string
  kind: 'info' | 'error'
}

let seq = 0
export const toasts = reactive<Toast[]>([])

export function toast(text: string, opts: { to?: string; kind?: 'info' | 'error'; ms?: number } = {}) {
  const t: Toast = { id: ++seq, text, to: opts.to, kind: opts.kind ?? 'info' }
  toasts.push(t)
  setTimeout(() => dismiss(t.id), opts.ms ?? 6000)
  return t.id
}

export function dismiss(id: number) {
  const i = toasts.findIndex((t) => t.id === id)
  if (i >= 0) toasts.splice(i, 1)
}
