import { describe, expect, it } from 'vitest'
import { stickToBottom } from '../stick'

// A timeline whose height grows as scrolling reveals entries with real heights.
function growing(heights: number[]) {
  const el = document.createElement('div')
  let i = 0
  let top = 0
  Object.defineProperty(el, 'scrollHeight', { get: () => heights[Math.min(i, heights.length - 1)] })
  Object.defineProperty(el, 'scrollTop', {
    get: () => top,
    set: (v: number) => {
      top = v
      i++
    },
  })
  return el
}

describe('opening a ticket at its newest message', () => {
  it('keeps scrolling until the height has settled', () => {
    const el = growing([2000, 2600, 2862, 2862, 2862, 2862, 2862])
    const frames: (() => void)[] = []
    stickToBottom(el, (cb) => frames.push(cb))
    while (frames.length) frames.shift()!()
    expect(el.scrollTop).toBe(2862)
  })

  it('stops when the agent scrolls', () => {
    const el = growing([2000, 2600, 2862])
    const frames: (() => void)[] = []
    stickToBottom(el, (cb) => frames.push(cb))
    el.dispatchEvent(new Event('wheel'))
    while (frames.length) frames.shift()!()
    expect(el.scrollTop).toBe(2000)
  })
})
