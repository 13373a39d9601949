package kb

import (
	"bytes"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"loket.dev/loket/internal/sanitize"
)

// md parses and renders article Markdown: CommonMark with GitHub's tables,
// strikethrough, task lists and bare links. Raw HTML in the source is
// dropped by the renderer (its default), and the output is sanitised too.
// Headings move one level down: on a page the article's title is the
// only h1.
var md = goldmark.New(goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(demoteHeadings{}, 1000))))

// demoteHeadings turns h1 into h2, h2 into h3 and so on, h6 staying h6.
type demoteHeadings struct{}

// Transform demotes the headings of doc.
func (demoteHeadings) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+1, 6)
		}
		return ast.WalkContinue, nil
	})
}

// RenderHTML turns an article's Markdown into HTML that is safe to show
// on the public help center.
func RenderHTML(source string) string {
	var b bytes.Buffer
	if err := md.Convert([]byte(source), &b); err != nil {
		// The renderer only fails when writing fails, which a buffer does not.
		return ""
	}
	return sanitize.HTML(b.String())
}

// PlainText turns Markdown into readable plain text, for chat channels,
// snippets and search: paragraphs separated by blank lines, list items
// with a dash, links followed by their address.
func PlainText(source string) string {
	if source == "" {
		return ""
	}
	src := []byte(source)
	doc := md.Parser().Parse(text.NewReader(src))
	var b strings.Builder
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.Text:
			if entering {
				b.Write(n.Segment.Value(src))
				if n.SoftLineBreak() || n.HardLineBreak() {
					b.WriteByte('\n')
				}
			}
		case *ast.String:
			if entering {
				b.Write(n.Value)
			}
		case *ast.AutoLink:
			if entering {
				b.Write(n.URL(src))
			}
			return ast.WalkSkipChildren, nil
		case *ast.Link:
			if !entering {
				if dest := string(n.Destination); dest != "" && !strings.HasPrefix(dest, "#") {
					b.WriteString(" (" + dest + ")")
				}
			}
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			if entering {
				lines := n.Lines()
				for i := 0; i < lines.Len(); i++ {
					seg := lines.At(i)
					b.Write(seg.Value(src))
				}
				b.WriteByte('\n')
			}
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock, *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		case *ast.ListItem:
			if entering {
				b.WriteString("- ")
			} else if !strings.HasSuffix(b.String(), "\n") {
				b.WriteByte('\n')
			}
		case *ast.Paragraph, *ast.Heading, *ast.TextBlock:
			if !entering {
				b.WriteString("\n")
				if _, inList := n.Parent().(*ast.ListItem); !inList {
					b.WriteString("\n")
				}
			}
		case *ast.List:
			if !entering {
				b.WriteString("\n")
			}
		case *ast.ThematicBreak:
			if entering {
				b.WriteString("\n")
			}
		}
		return ast.WalkContinue, nil
	})
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	out := strings.Join(lines, "\n")
	for strings.Contains(out, "\n\n\n") {
		out = strings.ReplaceAll(out, "\n\n\n", "\n\n")
	}
	return strings.TrimSpace(out)
}
