import { describe, expect, it } from 'vitest'
import { nearEnd, scrollToShow, visibleRange } from '../windowing'

describe('visibleRange', () => {
  it('renders the rows in view plus overscan at the top of the list', () => {
    expect(visibleRange(0, 400, 40, 10000, 5)).toEqual({ start: 0, end: 15, padTop: 0, padBottom: (10000 - 15) * 40 })
  })
  it('renders a window in the middle with spacers that keep the total height', () => {
    const w = visibleRange(4000, 400, 40, 10000, 5)
    expect(w.start).toBe(95) // row 100 is the first visible one
    expect(w.end).toBe(115)
    expect(w.padTop + (w.end - w.start) * 40 + w.padBottom).toBe(10000 * 40)
  })
  it('handles a partly visible first row', () => {
    const w = visibleRange(4020, 400, 40, 10000, 0)
    expect(w.start).toBe(100)
    expect(w.end).toBe(111) // 4020..4420 touches rows 100..110
  })
  it('clamps at the end of the list and for scroll past the end', () => {
    expect(visibleRange(400000, 400, 40, 10000, 5)).toMatchObject({ start: 9994, end: 10000, padBottom: 0 })
    expect(visibleRange(39 * 40, 400, 40, 40, 2)).toMatchObject({ end: 40, padBottom: 0 })
  })
  it('clamps negative scroll (header above the rows) and empty lists', () => {
    expect(visibleRange(-50, 400, 40, 3, 5)).toEqual({ start: 0, end: 3, padTop: 0, padBottom: 0 })
    expect(visibleRange(0, 400, 40, 0)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 })
  })
  it('renders at least one row with a zero viewport', () => {
    const w = visibleRange(0, 0, 40, 100, 0)
    expect(w.end - w.start).toBe(1)
  })
  it('never renders more than viewport/rowHeight + 2·overscan + 1 rows, whatever the list length', () => {
    for (const top of [0, 123, 5000, 99999]) {
      const w = visibleRange(top, 800, 40, 100000, 6)
      expect(w.end - w.start).toBeLessThanOrEqual(20 + 12 + 1)
    }
  })
})

describe('scrollToShow', () => {
  it('leaves a visible row alone', () => expect(scrollToShow(5, 0, 400, 40)).toBeNull())
  it('scrolls up to a row above', () => expect(scrollToShow(2, 400, 400, 40)).toBe(80))
  it('scrolls down just enough for a row below', () => expect(scrollToShow(20, 0, 400, 40)).toBe(21 * 40 - 400))
})

describe('nearEnd', () => {
  it('says when to load more', () => {
    expect(nearEnd({ start: 0, end: 15, padTop: 0, padBottom: 0 }, 100)).toBe(false)
    expect(nearEnd({ start: 70, end: 85, padTop: 0, padBottom: 0 }, 100)).toBe(true)
    expect(nearEnd({ start: 0, end: 0, padTop: 0, padBottom: 0 }, 0)).toBe(false)
  })
})
