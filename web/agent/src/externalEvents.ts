// External events (an order placed, a parcel sent) that outside systems
// report about a contact, shown on the contact page.

/**
 * compactData shows an event's data as a few "key: value" pairs. Nested
 * objects are opened into dotted keys (order.number), as rules and
 * templates name them; lists and long values are cut short.
 */
export function compactData(data: Record<string, unknown> | null | undefined, max = 6, width = 48): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = []
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [k, v] of Object.entries(obj)) {
      if (out.length >= max) return
      const key = prefix + k
      if (v && typeof v === 'object' && !Array.isArray(v) && depth < 2) {
        walk(v as Record<string, unknown>, key + '.', depth + 1)
        continue
      }
      let value = typeof v === 'string' ? v : (JSON.stringify(v) ?? '')
      if (value.length > width) value = value.slice(0, width - 1) + '…'
      out.push({ key, value })
    }
  }
  walk(data ?? {}, '', 0)
  return out
}
