// Knowledge base in the app: the category tree, names in the agent's
// language, and what goes into a reply from a suggested article.
import { markdownToText } from './markdown'
import type { KbArticle, KbCategory, Lang } from './types'

export interface CategoryNode {
  category: KbCategory
  depth: number
}

/** categoryName is the category's name in lang, else English, else any, else its slug. */
export function categoryName(c: Pick<KbCategory, 'names' | 'slug'>, lang: Lang): string {
  return c.names[lang] || c.names.en || Object.values(c.names).find(Boolean) || c.slug
}

/** flattenTree lists categories depth-first, children under their parent by position; orphans count as roots. */
export function flattenTree(cats: KbCategory[]): CategoryNode[] {
  const ids = new Set(cats.map((c) => c.id))
  const children = new Map<number, KbCategory[]>()
  for (const c of cats) {
    const parent = c.parent_id && ids.has(c.parent_id) && c.parent_id !== c.id ? c.parent_id : 0
    children.set(parent, [...(children.get(parent) ?? []), c])
  }
  const out: CategoryNode[] = []
  const seen = new Set<number>()
  const walk = (parent: number, depth: number) => {
    const list = (children.get(parent) ?? []).sort((a, b) => a.position - b.position || a.id - b.id)
    for (const c of list) {
      if (seen.has(c.id)) continue // a cycle in the data
      seen.add(c.id)
      out.push({ category: c, depth })
      walk(c.id, depth + 1)
    }
  }
  walk(0, 0)
  return out
}

/** descendants are the ids of a category's subtree (itself included): not valid parents for it. */
export function descendants(cats: KbCategory[], id: number): Set<number> {
  const out = new Set([id])
  let grew = true
  while (grew) {
    grew = false
    for (const c of cats) {
      if (!out.has(c.id) && out.has(c.parent_id)) {
        out.add(c.id)
        grew = true
      }
    }
  }
  return out
}

/** slugify makes a URL slug from a name. */
export function slugify(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
}

/** parseKeywords reads a comma-separated keyword field. */
export function parseKeywords(s: string): string[] {
  return [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))]
}

/** articleURL is the public address of an article on this server. */
export function articleURL(a: Pick<KbArticle, 'url'>, origin: string): string {
  return /^https?:\/\//.test(a.url) ? a.url : origin.replace(/\/$/, '') + a.url
}

/** articleLinkText is what "insert link" puts into a reply. */
export function articleLinkText(a: Pick<KbArticle, 'title' | 'url'>, origin: string): string {
  return `${a.title}: ${articleURL(a, origin)}`
}

/** articleBodyText is what "insert text" puts into a reply: the article as plain text. */
export function articleBodyText(a: Pick<KbArticle, 'title' | 'body' | 'summary'>): string {
  const body = markdownToText(a.body ?? '').trim()
  return body || a.summary
}
