package webchat

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
	"unicode/utf8"
)

// VisitorName names an anonymous visitor for agents, "Visitor 4821" and
// the page they wrote from ("Visitor 4821 · /pricing"), in place of a raw
// token: the number is derived from the visitor's public id, so a visitor
// keeps it across conversations and agents can tell two visitors apart.
// A name from the pre-chat form or the site wins.
func VisitorName(publicID, page string) string {
	h := fnv.New32a()
	h.Write([]byte(publicID))
	name := fmt.Sprintf("Visitor %04d", h.Sum32()%10000)
	if p := pagePath(page); p != "" {
		name += " · " + p
	}
	return name
}

// pagePath is the path of a page (never its query, which may carry
// personal data), at most 60 characters; "" for the home page or junk.
func pagePath(page string) string {
	u, err := url.Parse(strings.TrimSpace(page))
	if err != nil || u.Path == "" || u.Path == "/" || !utf8.ValidString(u.Path) {
		return ""
	}
	p := strings.Join(strings.Fields(u.Path), "")
	if utf8.RuneCountInString(p) > 60 {
		p = string([]rune(p)[:59]) + "…"
	}
	return p
}
