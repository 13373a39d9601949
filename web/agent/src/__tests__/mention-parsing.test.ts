import { describe, expect, it } from 'vitest'
import { mentionCandidates, mentionQuery, mentions, mentionSegments, mentionToken } from '../mentions'
import { agents } from './fixtures'

describe('mentions (read as the server reads them)', () => {
  it.each([
    ['@Petra can you look?', [3]],
    ['ask @petra, please', [3]],
    ['@Jan de Vries knows', [2]],
    ['@Jan, and @Jan de Vries too', [1, 2]],
    ['@Jansen is nobody', []],
    ['mail jan@Petra.example', []],
    ['@Kim is two people', []],
    ['@[Kim](agent:5) is one of them', [5]],
    ['@[ghost](agent:99)', []],
    ['@Olaf left', []],
    ['@Petra @Petra (@Petra)', [3]],
  ])('%s → %j', (text, want) => {
    expect(mentions(text, agents)).toEqual(want)
  })

  it('splits a note into text and highlighted mentions, showing markup as the name', () => {
    expect(mentionSegments('hi @[Kim](agent:5), see @Petra.', agents)).toEqual([
      { text: 'hi ' }, { text: '@Kim', agentId: 5 }, { text: ', see ' }, { text: '@Petra', agentId: 3 }, { text: '.' },
    ])
  })

  it('finds the @name being typed before the caret', () => {
    expect(mentionQuery('hello @Pe', 9)).toEqual({ start: 6, q: 'Pe' })
    expect(mentionQuery('@Jan de', 7)).toEqual({ start: 0, q: 'Jan de' })
    expect(mentionQuery('jan@exa', 7)).toBeNull()
    expect(mentionQuery('@Pe\nx', 5)).toBeNull()
    expect(mentionQuery('no at here', 10)).toBeNull()
  })

  it('offers enabled colleagues by name or word start, never yourself', () => {
    expect(mentionCandidates(agents, 'j', 0).map((a) => a.id)).toEqual([1, 2])
    expect(mentionCandidates(agents, 'vries', 0).map((a) => a.id)).toEqual([2])
    expect(mentionCandidates(agents, 'pet', 3)).toEqual([])
    expect(mentionCandidates(agents, 'ol', 0)).toEqual([])
  })

  it('inserts a plain name when it is unique, the id markup otherwise', () => {
    expect(mentionToken(agents[2], agents)).toBe('@Petra')
    expect(mentionToken(agents[0], agents)).toBe('@Jan')
    expect(mentionToken(agents[4], agents)).toBe('@[Kim](agent:5)')
  })
})
