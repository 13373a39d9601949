// Package sanitize makes customer HTML safe to show to agents: no scripts,
// no event handlers, no styles that escape their box, links that open
// safely. It is the one policy every channel uses.
package sanitize

import (
	"html"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowURLSchemes("http", "https", "mailto", "tel", "cid")
	p.AllowAttrs("style").OnElements("span", "p", "div", "td", "th", "table", "font")
	p.AllowStyles("color", "background-color", "font-weight", "font-style", "text-decoration", "text-align").Globally()
	p.AllowAttrs("color").OnElements("font")
	return p
}()

// HTML returns s with everything unsafe removed.
func HTML(s string) string {
	if s == "" {
		return ""
	}
	return policy.Sanitize(s)
}

// Text is a plain-text rendering of sanitised HTML, for previews, search
// and channels that carry no markup: tags become spaces, entities are
// decoded and runs of white space become one.
func Text(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return html.UnescapeString(strings.Join(strings.Fields(b.String()), " "))
}
