// Keyboard shortcuts. Views register handlers while mounted; the most
// recently registered handler for a key wins. Keys typed into form fields
// are left alone (except Escape).
type Handler = (e: KeyboardEvent) => void
const stack: Record<string, Handler>[] = []

export function registerShortcuts(map: Record<string, Handler>): () => void {
  stack.push(map)
  return () => {
    const i = stack.indexOf(map)
    if (i >= 0) stack.splice(i, 1)
  }
}

export function isTyping(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)
}

export function handleKey(e: KeyboardEvent) {
  if (e.ctrlKey || e.metaKey || e.altKey) return
  if (e.key !== 'Escape' && isTyping(e.target)) return
  for (let i = stack.length - 1; i >= 0; i--) {
    const h = stack[i][e.key]
    if (h) {
      e.preventDefault()
      h(e)
      return
    }
  }
}
