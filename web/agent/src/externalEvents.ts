// External events (an order placed, a parcel sent) that outside systems
// report about a contact, shown on the contact page.

/** compactData shows an event's data as a few "key: value" pairs; nested values are cut short. */
export function compactData(data: Record<string, unknown> | null | undefined, max = 4, width = 40): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = []
  for (const [key, v] of Object.entries(data ?? {})) {
    if (out.length >= max) break
    let value = typeof v === 'string' ? v : JSON.stringify(v)
    if (value === undefined) value = ''
    if (value.length > width) value = value.slice(0, width - 1) + '…'
    out.push({ key, value })
  }
  return out
}
