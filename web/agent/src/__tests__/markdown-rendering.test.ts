import { describe, expect, it } from 'vitest'
import { markdownToText, renderMarkdown, safeURL } from '../markdown'

describe('markdown', () => {
  it('renders headings, lists, emphasis, code and links, escaping everything else', () => {
    const html = renderMarkdown('# Returns\n\nSend it **back** within *14* days.\n\n- pack it\n- print the [label](https://shop.example/label)\n\n1. one\n2. two\n\n`x<y>`\n\n<script>alert(1)</script>')
    expect(html).toContain('<h1>Returns</h1>')
    expect(html).toContain('<strong>back</strong>')
    expect(html).toContain('<em>14</em>')
    expect(html).toContain('<ul><li>pack it</li><li>print the <a href="https://shop.example/label" rel="noopener">label</a></li></ul>')
    expect(html).toContain('<ol><li>one</li><li>two</li></ol>')
    expect(html).toContain('<code>x&lt;y&gt;</code>')
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;')
  })
  it('refuses script links', () => {
    expect(renderMarkdown('[x](javascript:alert(1))')).toContain('href="#"')
    expect(safeURL('/help/en/articles/1-x')).toBe('/help/en/articles/1-x')
    expect(safeURL('//evil.example')).toBe('#')
  })
  it('turns an article into plain text for a reply', () => {
    expect(markdownToText('## Steps\n\n- **pack** it\n- see [the label page](https://x.example/l)\n\n1. a\n2. b')).toBe(
      'Steps\n\n• pack it\n• see the label page (https://x.example/l)\n\n1. a\n2. b',
    )
  })
})
