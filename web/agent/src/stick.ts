// Keeping a timeline at its newest entry while it lays out. Entries off
// screen have estimated heights (content-visibility) until they are drawn,
// so one scroll to the bottom lands short: scrolling reveals entries whose
// real height moves the bottom again. stickToBottom scrolls on each frame
// until the height has settled, and stops as soon as the agent scrolls.

type Frame = (cb: () => void) => unknown

/** stickToBottom pins el to its bottom until its height is stable for a few frames; returns a cancel function. */
export function stickToBottom(el: HTMLElement, frame: Frame = (cb) => requestAnimationFrame(cb), maxFrames = 120): () => void {
  let stopped = false
  let last = -1
  let stable = 0
  let n = 0
  const stop = () => {
    stopped = true
    for (const e of USER_EVENTS) el.removeEventListener(e, stop)
  }
  for (const e of USER_EVENTS) el.addEventListener(e, stop, { passive: true })
  const step = () => {
    if (stopped) return
    el.scrollTop = el.scrollHeight
    stable = el.scrollHeight === last ? stable + 1 : 0
    last = el.scrollHeight
    if (stable >= 3 || ++n >= maxFrames) return stop()
    frame(step)
  }
  step()
  return stop
}

const USER_EVENTS = ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const
