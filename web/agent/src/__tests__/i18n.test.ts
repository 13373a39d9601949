import { describe, expect, it } from 'vitest'
import { en, LANGUAGES, loadDictionary, setLocale, t, translate, type MessageKey } from '../i18n'

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('i18n', () => {
  const keys = Object.keys(en).sort()
  for (const { code } of LANGUAGES) {
    it(`${code} has every key, no extras, no empty strings, same placeholders`, async () => {
      const d = await loadDictionary(code)
      expect(Object.keys(d).sort()).toEqual(keys)
      for (const k of keys as MessageKey[]) {
        expect(d[k].trim(), `${code}:${k}`).not.toBe('')
        expect(placeholders(d[k]), `${code}:${k}`).toEqual(placeholders(en[k]))
      }
    })
  }
  it('switches language once the dictionary is loaded', async () => {
    await setLocale('de')
    expect(t('nav.mine')).toBe('Meine Tickets')
    await setLocale('xx')
    expect(t('nav.mine')).toBe('My tickets')
  })
  it('translates with parameters', async () => {
    await loadDictionary('nl')
    await loadDictionary('de')
    expect(translate('nl', 'toast.newTicket', { n: 5, subject: 'Hoi' })).toBe('Nieuw ticket #5: Hoi')
    expect(translate('de', 'list.selected', { n: 3 })).toBe('3 ausgewählt')
  })
  it('has a translation for every status, priority and delivery state', () => {
    for (const k of ['new', 'open', 'pending', 'on_hold', 'solved', 'closed']) expect(keys).toContain(`status.${k}`)
    for (const k of ['low', 'normal', 'high', 'urgent']) expect(keys).toContain(`priority.${k}`)
    for (const k of ['queued', 'sent', 'delivered', 'read', 'failed']) expect(keys).toContain(`delivery.${k}`)
  })
})
