// A small Markdown reader for the article editor's preview and for putting
// an article into a reply as plain text. It knows what articles use:
// headings, paragraphs, lists, code, emphasis and links. Everything is
// escaped first, so the preview can never carry markup of its own.

const escapeHTML = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

/** safeURL allows web, mail and same-site links; anything else becomes '#'. */
export function safeURL(url: string): string {
  const u = url.trim()
  return /^(https?:\/\/|mailto:|\/(?!\/)|#)/i.test(u) ? u : '#'
}

function inline(s: string): string {
  const codes: string[] = []
  let out = escapeHTML(s).replace(/`([^`]+)`/g, (_, c: string) => {
    codes.push(`<code>${c}</code>`)
    return `\u0000${codes.length - 1}\u0000`
  })
  out = out
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, text: string, url: string) => `<a href="${safeURL(url)}" rel="noopener">${text}</a>`)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
    .replace(/(^|\W)_([^_\s][^_]*)_(?=\W|$)/g, '$1<em>$2</em>')
  return out.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codes[Number(i)])
}

type Block = { kind: 'p' | 'h' | 'ul' | 'ol' | 'code'; level?: number; lines: string[] }

function blocks(md: string): Block[] {
  const out: Block[] = []
  let cur = null as Block | null
  const lines = md.replace(/\r\n?/g, '\n').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (/^```/.test(line)) {
      const code: string[] = []
      while (++i < lines.length && !/^```/.test(lines[i])) code.push(lines[i])
      out.push({ kind: 'code', lines: code })
      cur = null
      continue
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line)
    const ul = /^\s*[-*+]\s+(.*)$/.exec(line)
    const ol = /^\s*\d+[.)]\s+(.*)$/.exec(line)
    if (h) {
      out.push({ kind: 'h', level: h[1].length, lines: [h[2].replace(/\s#+\s*$/, '')] })
      cur = null
    } else if (ul || ol) {
      const kind: Block['kind'] = ul ? 'ul' : 'ol'
      let list: Block | null = cur
      if (!list || list.kind !== kind) {
        list = { kind, lines: [] }
        out.push(list)
      }
      list.lines.push((ul ?? ol)![1])
      cur = list
    } else if (!line.trim()) {
      cur = null
    } else if (cur?.kind === 'p') {
      cur.lines.push(line.trim())
    } else if (cur && /^\s+/.test(line)) {
      cur.lines[cur.lines.length - 1] += ' ' + line.trim() // a list item's continued line
    } else {
      cur = { kind: 'p', lines: [line.trim()] }
      out.push(cur)
    }
  }
  return out
}

/** renderMarkdown turns Markdown into safe HTML. */
export function renderMarkdown(md: string): string {
  return blocks(md)
    .map((b) => {
      switch (b.kind) {
        case 'h':
          return `<h${b.level}>${inline(b.lines[0])}</h${b.level}>`
        case 'ul':
        case 'ol':
          return `<${b.kind}>${b.lines.map((l) => `<li>${inline(l)}</li>`).join('')}</${b.kind}>`
        case 'code':
          return `<pre><code>${escapeHTML(b.lines.join('\n'))}</code></pre>`
        default:
          return `<p>${b.lines.map(inline).join('\n')}</p>`
      }
    })
    .join('\n')
}

function plainInline(s: string): string {
  return s
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, text: string, url: string) => (text === url ? url : `${text} (${url})`))
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1$2')
    .replace(/(^|\W)_([^_\s][^_]*)_(?=\W|$)/g, '$1$2')
}

/** markdownToText turns Markdown into plain text fit for a customer reply. */
export function markdownToText(md: string): string {
  return blocks(md)
    .map((b) => {
      switch (b.kind) {
        case 'ul':
          return b.lines.map((l) => `• ${plainInline(l)}`).join('\n')
        case 'ol':
          return b.lines.map((l, i) => `${i + 1}. ${plainInline(l)}`).join('\n')
        case 'code':
          return b.lines.join('\n')
        default:
          return b.lines.map(plainInline).join('\n')
      }
    })
    .join('\n\n')
}
