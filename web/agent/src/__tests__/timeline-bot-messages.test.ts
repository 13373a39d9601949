import { describe, expect, it } from 'vitest'
import { createApp, h } from 'vue'
import MessageItem from '../components/MessageItem.vue'
import type { Message } from '../types'
import { agents } from './fixtures'

describe('timeline: bot messages and mentions', () => {
  const base: Message = { id: 5, ticket_id: 1, kind: 'message', author_type: 'bot', direction: 'out', text: 'Try this article', attachments: [], created_at: 0, updated_at: 0 }
  function mount(props: Record<string, unknown>) {
    const el = document.createElement('div')
    document.body.appendChild(el)
    const app = createApp({ render: () => h(MessageItem, props as any) })
    app.mount(el)
    return { el, unmount: () => app.unmount() }
  }
  it('marks the bot’s messages with a label and their own style', () => {
    const { el, unmount } = mount({ message: base })
    expect(el.querySelector('.msg')!.classList.contains('bot')).toBe(true)
    expect(el.querySelector('.author')!.textContent).toBe('Bot')
    expect(el.querySelector('.bot-tag')!.textContent).toBe('automatic answer')
    unmount()
  })
  it('highlights mentions in notes, the reader’s own more', () => {
    const { el, unmount } = mount({ message: { ...base, kind: 'note', author_type: 'agent', text: '@Petra and @[Kim](agent:5), please' }, agents, meId: 3 })
    const marks = [...el.querySelectorAll('mark.mention')].map((m) => [m.textContent, m.classList.contains('me')])
    expect(marks).toEqual([['@Petra', true], ['@Kim', false]])
    expect(el.querySelector('.body')!.textContent).toBe('@Petra and @Kim, please')
    unmount()
  })
})
