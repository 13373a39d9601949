// Windowing for long lists with a fixed row height: only the rows in (and
// a little around) the viewport are rendered; spacers stand in for the rest.

export interface Window {
  start: number // first rendered index
  end: number // one past the last rendered index
  padTop: number // px above the first rendered row
  padBottom: number // px below the last rendered row
}

/**
 * visibleRange says which rows to render. scrollTop is measured from the
 * first row (callers subtract a header above it), viewport is the visible
 * height; overscan rows are added on both sides.
 */
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 6): Window {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 }
  const top = Math.max(0, scrollTop)
  const first = Math.min(count - 1, Math.floor(top / rowHeight))
  const last = Math.min(count, Math.ceil((top + Math.max(0, viewport)) / rowHeight))
  const start = Math.max(0, first - overscan)
  const end = Math.min(count, Math.max(last, first + 1) + overscan)
  return { start, end, padTop: start * rowHeight, padBottom: (count - end) * rowHeight }
}

/**
 * scrollToShow returns the scrollTop that brings row index fully into view
 * with the least movement, or null when it is already visible.
 */
export function scrollToShow(index: number, scrollTop: number, viewport: number, rowHeight: number): number | null {
  const top = index * rowHeight
  const bottom = top + rowHeight
  if (top < scrollTop) return top
  if (bottom > scrollTop + viewport) return Math.max(0, bottom - viewport)
  return null
}

/** nearEnd says whether the window reaches within margin rows of the end (time to load more). */
export function nearEnd(w: Window, count: number, margin = 20): boolean {
  return count > 0 && w.end >= count - margin
}
