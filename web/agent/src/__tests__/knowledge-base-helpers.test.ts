import { describe, expect, it } from 'vitest'
import { articleBodyText, articleLinkText, categoryName, descendants, flattenTree, parseKeywords, slugify } from '../kb'
import type { KbCategory } from '../types'

describe('knowledge base helpers', () => {
  const cat = (id: number, parent_id: number, position: number, en: string): KbCategory => ({ id, parent_id, position, slug: slugify(en), names: { en } })
  const cats = [cat(1, 0, 2, 'Orders'), cat(2, 0, 1, 'Account'), cat(3, 1, 1, 'Returns'), cat(4, 3, 1, 'Labels'), cat(5, 99, 1, 'Orphan')]
  it('flattens the tree depth-first by position; orphans count as roots', () => {
    expect(flattenTree(cats).map((n) => [n.category.id, n.depth])).toEqual([[2, 0], [5, 0], [1, 0], [3, 1], [4, 2]])
  })
  it('knows a category’s subtree, names and slugs', () => {
    expect([...descendants(cats, 1)].sort()).toEqual([1, 3, 4])
    expect(categoryName({ names: { en: 'Orders', nl: 'Bestellingen' }, slug: 'orders' }, 'nl')).toBe('Bestellingen')
    expect(categoryName({ names: { en: 'Orders' }, slug: 'orders' }, 'de')).toBe('Orders')
    expect(slugify('Rücksendung & Umtausch!')).toBe('rucksendung-umtausch')
    expect(parseKeywords('return, refund , ,return')).toEqual(['return', 'refund'])
  })
  it('puts a link or the text of an article into a reply', () => {
    expect(articleLinkText({ title: 'Returns', url: '/help/en/articles/3-returns' }, 'https://desk.example/')).toBe(
      'Returns: https://desk.example/help/en/articles/3-returns',
    )
    expect(articleBodyText({ title: 'R', body: 'Send it **back**.', summary: 's' })).toBe('Send it back.')
    expect(articleBodyText({ title: 'R', body: '', summary: 'Just the summary' })).toBe('Just the summary')
  })
})
