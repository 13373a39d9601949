import { describe, expect, it } from 'vitest'
import { createApp, h } from 'vue'
import MessageItem from '../components/MessageItem.vue'
import type { Message } from '../types'

function mount(message: Message) {
  const el = document.createElement('div')
  document.body.appendChild(el)
  createApp({ render: () => h(MessageItem, { message }) }).mount(el)
  return el
}
const bot: Message = { id: 9, ticket_id: 1, kind: 'message', direction: 'out', author_type: 'bot', text: '', attachments: [], created_at: 0, updated_at: 0 }

describe('bot answers in the agent view', () => {
  it('shows the articles the bot offered, not only its lead-in sentence', () => {
    const el = mount({
      ...bot,
      text: 'These articles may answer your question:',
      meta: { quick_replies: [{ id: 'browse', label: 'Browse topics' }, { id: 'article:4', label: 'How do I return an item?' }, { id: 'person', label: 'Talk to a person' }] },
    })
    const items = [...el.querySelectorAll('[data-testid="offered"] li')].map((li) => li.textContent!.trim())
    expect(items[0]).toContain('How do I return an item?')
    expect(items).toHaveLength(3)
    expect(el.querySelector('[data-testid="offered"]')!.getAttribute('aria-label')).toBe('Offered to the customer')
  })

  it('shows the formatted answer with its Read more link', () => {
    const el = mount({
      ...bot,
      text: 'How do I return an item?\n\nRead more: https://help.example/a/1',
      html: '<p><strong>How do I return an item?</strong></p><p><a href="https://help.example/a/1" target="_blank" rel="nofollow noreferrer noopener">Read more</a></p>',
    })
    const a = el.querySelector('.body.html a')!
    expect(a.getAttribute('href')).toBe('https://help.example/a/1')
    expect(a.textContent).toBe('Read more')
    expect(el.querySelector('.body.html strong')!.textContent).toBe('How do I return an item?')
  })

  it('offers nothing for a customer message that carries a quick reply id', () => {
    const el = mount({ ...bot, author_type: 'contact', direction: 'in', text: 'Yes', meta: { quick_replies: [{ id: 'x', label: 'y' }] } })
    expect(el.querySelector('[data-testid="offered"]')).toBeNull()
  })
})
