import { describe, expect, it } from 'vitest'
import { callbackAt, confirmation, dayOptions, plausibleNumber, timeOptions } from '../callback'
import { translator } from '../i18n'

// Local times: the form offers the visitor's own days and hours.
const tuesday9 = new Date(2026, 11, 8, 9, 0).getTime()

describe('callback times', () => {
  it('offers today from half an hour on, in half hours until 20:00', () => {
    const times = timeOptions('2026-12-08', tuesday9)
    expect(times[0]).toBe('09:30')
    expect(times[times.length - 1]).toBe('19:30')
    expect(times).toHaveLength(21)
    expect(timeOptions('2026-12-09', tuesday9)[0]).toBe('08:00')
  })

  it('offers seven days, and skips today once its last time is too close', () => {
    const days = dayOptions(tuesday9, 'en')
    expect(days.map((d) => d.value)).toEqual(['2026-12-08', '2026-12-09', '2026-12-10', '2026-12-11', '2026-12-12', '2026-12-13', '2026-12-14'])
    expect(days[0].label).toContain('Tuesday')
    const late = new Date(2026, 11, 8, 19, 45).getTime()
    expect(dayOptions(late, 'en')[0].value).toBe('2026-12-09')
    expect(dayOptions(late, 'en')).toHaveLength(6)
  })

  it('sends a chosen time as RFC 3339 and nothing for a time not offered', () => {
    expect(callbackAt('2026-12-09', '14:30', tuesday9)).toBe(new Date(2026, 11, 9, 14, 30).toISOString().replace('.000Z', 'Z'))
    expect(callbackAt('2026-12-08', '09:00', tuesday9)).toBe('') // too soon
    expect(callbackAt('2026-12-09', '21:00', tuesday9)).toBe('')
    expect(callbackAt('2026-12-20', '10:00', tuesday9)).toBe('') // beyond a week
    expect(callbackAt('tomorrow', '10:00', tuesday9)).toBe('')
  })
})

describe('plausibleNumber', () => {
  it.each([
    ['06 12345678', true],
    ['+31 (0)20-123 4567', true],
    ['030/1234567', true],
    ['12345', false],
    ['call me', false],
    ['+31 6 1234 5678 9012 3456', false],
    ['', false],
  ])('%s: %s', (s, ok) => expect(plausibleNumber(s)).toBe(ok))
})

describe('confirmation', () => {
  it('names the number and the time in the visitor language', () => {
    expect(confirmation(translator('en'), '+31612345678', undefined, 'en')).toBe('Thank you! We will call you on +31612345678 as soon as possible.')
    const at = new Date(2026, 11, 9, 14, 30).toISOString()
    expect(confirmation(translator('nl'), '+31612345678', at, 'nl')).toMatch(/^Dank u! We bellen u woensdag 9 december .*14:30 op \+31612345678\.$/)
  })
})
