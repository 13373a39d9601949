import { afterEach, describe, expect, it } from 'vitest'
import { dateTime, elapsed, setLocale } from '../i18n'
import { eventText } from '../timeline'

const due = Date.UTC(2026, 11, 7, 15, 51, 3)

describe('timeline events in the agent language', () => {
  afterEach(() => setLocale('en'))

  it('shows a routing assignment with a readable wait, in Dutch and German', async () => {
    const m = { meta: { event: 'routing.assigned', agent: 'Anna', agent_id: 3, waited_ms: 62465, reason: 'most free' } }
    await setLocale('nl')
    expect(eventText(m)).toBe('Door de routering toegewezen aan Anna na 1 min in de wachtrij')
    await setLocale('de')
    expect(eventText(m)).toBe('Vom Routing Anna zugewiesen nach 1 Min. in der Warteschlange')
    await setLocale('en')
    expect(eventText({ meta: { event: 'routing.assigned', agent: 'Anna', waited_ms: 4400 } })).toBe('Assigned to Anna by routing after 4 s in the queue')
  })

  it('shows an SLA breach with the due date in the language format, never ISO', async () => {
    await setLocale('de')
    const s = eventText({ meta: { event: 'sla.breached', target: 'first_response', due } })!
    expect(s).toMatch(/^SLA verletzt: Erste Antwort war fällig /)
    expect(s).toContain(dateTime(due))
    expect(s).not.toMatch(/\d{4}-\d\d-\d\dT/)
    expect(dateTime(due)).toMatch(/^07\.12\.2026/)
    await setLocale('nl')
    expect(dateTime(due)).toMatch(/^7 dec 2026/)
    await setLocale('en')
    expect(dateTime(due)).toMatch(/^7 Dec 2026/)
  })

  it('translates status and priority changes and names the team', async () => {
    await setLocale('nl')
    const m = {
      meta: {
        event: 'ticket.changed',
        changes: [{ field: 'status', from: 'new', to: 'solved' }, { field: 'priority', from: 'normal', to: 'urgent' }, { field: 'team', to: 2 }, { field: 'assignee' }],
      },
    }
    expect(eventText(m, (id) => (id === 2 ? 'Billing' : '?'))).toBe('Status Nieuw → Opgelost; Prioriteit Normaal → Urgent; Team: Billing; Toewijzing opgeheven')
  })

  it('leaves events it does not know to the English text', () => {
    expect(eventText({ meta: { event: 'something.else' } })).toBeNull()
    expect(eventText({})).toBeNull()
    expect(eventText({ meta: { event: 'ticket.changed', changes: [{ field: 'mystery' }] } })).toBeNull()
  })

  it('measures waits in seconds under a minute', () => {
    expect(elapsed(62465)).toBe('1 min')
    expect(elapsed(999)).toBe('1 s')
  })
})
