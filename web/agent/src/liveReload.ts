// useLiveReload keeps a view's figures fresh: it loads them when the view
// mounts, every `every` ms when given, and `delay` ms after stream events
// that `when` accepts (a burst of events loads once), until the view goes.
import { onBeforeUnmount, onMounted } from 'vue'
import { useDesk } from './stores/desk'
import type { StreamEvent } from './types'

export interface LiveReload {
  every?: number
  delay?: number
  when?: (ev: StreamEvent) => boolean
}

export function useLiveReload(load: () => unknown, opts: LiveReload = {}): void {
  const desk = useDesk()
  let timer: ReturnType<typeof setInterval> | null = null
  let soon: ReturnType<typeof setTimeout> | null = null
  let stop = () => {}
  onMounted(() => {
    void load()
    if (opts.every) timer = setInterval(load, opts.every)
    stop = desk.onEvent((ev) => {
      if (soon || (opts.when && !opts.when(ev))) return
      soon = setTimeout(() => {
        soon = null
        void load()
      }, opts.delay ?? 400)
    })
  })
  onBeforeUnmount(() => {
    if (timer) clearInterval(timer)
    if (soon) clearTimeout(soon)
    stop()
  })
}
