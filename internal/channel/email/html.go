package email

import (
	"bytes"
	"html"
	"net/url"
	"slices"
	"strings"

	"github.com/inbucket/html2text"
	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
)

// policy is the sanitiser for mail HTML: bluemonday's user-generated-content
// policy, plus "cid:" and data-URI images (inline images must survive until
// [Mail.RewriteCID] replaces them), links that open in a new window without
// access to the opener, and a small set of text styles that mail layout
// depends on and that cannot load anything. Relative URLs are refused: in a
// mail they can only point into Loket itself.
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("cid")
	p.AllowDataURIImages()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowStyles("color", "background-color", "font-family", "font-size",
		"font-style", "font-weight", "text-align", "text-decoration").Globally()
	return p
}()

// readHTML fills the HTML-derived fields of m from the raw (unsanitised)
// HTML body: HTML, NewHTML, Text when the message had no text part, and
// NewText. Quoted history is found on the raw HTML, because the sanitiser
// removes the class and id attributes that mark it. It returns the
// Content-IDs the HTML refers to.
func (m *Mail) readHTML(raw string) map[string]bool {
	doc := parseHTML(raw)
	refs := cidRefs(doc)
	textFromHTML := strings.TrimSpace(m.Text) == ""
	if textFromHTML {
		m.Text = htmlToText(doc)
	}
	m.HTML = sanitize(doc)
	m.NewHTML = m.HTML
	if isForward(m.Subject, m.Text) {
		m.NewText = trimBlankLines(m.Text)
		return refs
	}

	text, textCut := stripTextHistory(m.Text)
	m.NewText = text
	cut := parseHTML(raw)
	if stripHTMLHistory(cut) {
		if textFromHTML || !textCut {
			m.NewText, _ = stripTextHistory(htmlToText(cut))
		}
		m.NewHTML = sanitize(cut)
	}
	return refs
}

// parseHTML parses an HTML body into a document tree. The HTML parser
// accepts any input, so the tree is always usable.
func parseHTML(raw string) *xhtml.Node {
	doc, err := xhtml.Parse(strings.NewReader(raw))
	if err != nil {
		return &xhtml.Node{Type: xhtml.DocumentNode}
	}
	return doc
}

// htmlToText renders an HTML tree as plain text.
func htmlToText(doc *xhtml.Node) string {
	text, err := html2text.FromHTMLNode(doc)
	if err != nil {
		return ""
	}
	return text
}

// sanitize renders doc as safe HTML. Two things are done before the
// policy runs, because it checks URL schemes without regard to where a URL
// is used: remote images are replaced by their alt text (links to the web
// must stay), and data: URLs are removed from links (they are allowed only
// as embedded images).
func sanitize(doc *xhtml.Node) string {
	var remote []*xhtml.Node
	walkHTML(doc, func(n *xhtml.Node) bool {
		if n.Type != xhtml.ElementNode {
			return true
		}
		if n.Data == "img" && !isEmbeddedImageURL(attr(n, "src")) {
			remote = append(remote, n)
		}
		n.Attr = slices.DeleteFunc(n.Attr, func(a xhtml.Attribute) bool {
			return a.Key == "href" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "data:")
		})
		return true
	})
	for _, img := range remote {
		if alt := strings.TrimSpace(attr(img, "alt")); alt != "" {
			img.Parent.InsertBefore(&xhtml.Node{Type: xhtml.TextNode, Data: alt}, img)
		}
		img.Parent.RemoveChild(img)
	}
	var buf bytes.Buffer
	// A tree produced by the parser always renders; a partial rendering
	// would still be sanitised below.
	_ = xhtml.Render(&buf, doc)
	return strings.TrimSpace(policy.SanitizeReader(&buf).String())
}

// isEmbeddedImageURL reports whether an image source is carried by the
// message itself (a MIME part or a data URI) instead of fetched remotely.
func isEmbeddedImageURL(src string) bool {
	src = strings.ToLower(strings.TrimSpace(src))
	return strings.HasPrefix(src, "cid:") || strings.HasPrefix(src, "data:image/")
}

// walkHTML calls fn for n and its descendants in document order; fn
// returning false skips the node's children.
func walkHTML(n *xhtml.Node, fn func(*xhtml.Node) bool) {
	if !fn(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkHTML(c, fn)
	}
}

// cidRefs returns the Content-IDs referenced by "cid:" URLs in doc, both as
// written and URL-unescaped (RFC 2392 allows either).
func cidRefs(doc *xhtml.Node) map[string]bool {
	refs := map[string]bool{}
	walkHTML(doc, func(n *xhtml.Node) bool {
		for _, a := range n.Attr {
			if id, ok := cidOf(a.Val); ok {
				refs[id] = true
				if u, err := url.PathUnescape(id); err == nil {
					refs[u] = true
				}
			}
		}
		return true
	})
	return refs
}

// cidOf returns the Content-ID of a "cid:" URL.
func cidOf(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) < 4 || !strings.EqualFold(v[:4], "cid:") {
		return "", false
	}
	return strings.Trim(v[4:], "<>"), true
}

// RewriteCID replaces the "cid:" image sources in HTML and NewHTML with the
// URLs resolve returns, so inline images can be served from where the core
// stored their attachments. resolve gets a Content-ID as in
// [Attachment.ContentID]; sources it does not resolve are left as they are.
// The returned URL is HTML-escaped but not otherwise checked, so it must come
// from a trusted source.
func (m *Mail) RewriteCID(resolve func(contentID string) (url string, ok bool)) {
	m.HTML = rewriteCID(m.HTML, resolve)
	m.NewHTML = rewriteCID(m.NewHTML, resolve)
}

// rewriteCID rewrites the src attributes of sanitised HTML, which always
// quotes attribute values with double quotes.
func rewriteCID(s string, resolve func(string) (string, bool)) string {
	const attr = ` src="`
	var out strings.Builder
	for {
		i := strings.Index(s, attr)
		if i < 0 {
			break
		}
		start := i + len(attr)
		end := strings.IndexByte(s[start:], '"')
		if end < 0 {
			break
		}
		out.WriteString(s[:start])
		val := s[start : start+end]
		if target, ok := resolveCID(html.UnescapeString(val), resolve); ok {
			val = html.EscapeString(target)
		}
		out.WriteString(val)
		s = s[start+end:]
	}
	out.WriteString(s)
	return out.String()
}

// resolveCID resolves a "cid:" URL as written, then URL-unescaped.
func resolveCID(src string, resolve func(string) (string, bool)) (string, bool) {
	id, ok := cidOf(src)
	if !ok {
		return "", false
	}
	if target, ok := resolve(id); ok {
		return target, true
	}
	if u, err := url.PathUnescape(id); err == nil && u != id {
		return resolve(u)
	}
	return "", false
}

// stripHTMLHistory removes quoted history and signatures from doc, using the
// markup that mail clients put around them, and reports whether it found
// any. History a client marks only at its start (Outlook) is cut from there
// to the end of the document; history a client wraps in an element (Gmail,
// Apple Mail, Thunderbird) is removed with that element, so that text written
// below the quote survives.
func stripHTMLHistory(doc *xhtml.Node) bool {
	found := false
	var cutAt *xhtml.Node
	walkHTML(doc, func(n *xhtml.Node) bool {
		if cutAt != nil {
			return false
		}
		if isHistoryStart(n) {
			cutAt = n
			return false
		}
		return true
	})
	if cutAt != nil {
		cutFrom(cutAt)
		found = true
	}

	var remove []*xhtml.Node
	walkHTML(doc, func(n *xhtml.Node) bool {
		if isQuoteOrSignature(n) {
			remove = append(remove, n)
			return false
		}
		return true
	})
	for _, n := range remove {
		n.Parent.RemoveChild(n)
		found = true
	}
	return found
}

// replyHeaderTextLen is how much of a block's text is enough to recognise
// an Outlook reply header at its start.
const replyHeaderTextLen = 400

// isHistoryStart reports whether n starts quoted history that runs to the
// end of the message: Outlook's reply-header containers, or a block whose
// text begins like a reply header or an "Original Message" separator.
func isHistoryStart(n *xhtml.Node) bool {
	if n.Type != xhtml.ElementNode {
		return false
	}
	switch attr(n, "id") {
	case "appendonsend", "divRplyFwdMsg", "stopSpelling", "mail-editor-reference-message-container":
		return true
	}
	switch n.Data {
	case "div", "p", "table", "font", "span", "pre":
		head := textPrefix(n, replyHeaderTextLen)
		return originalMessageRe.MatchString(head) || isReplyHeaderText(head)
	}
	return false
}

// isQuoteOrSignature reports whether n is an element that wraps quoted
// history or a signature.
func isQuoteOrSignature(n *xhtml.Node) bool {
	if n.Type != xhtml.ElementNode || n.Parent == nil {
		return false
	}
	if n.Data == "blockquote" && strings.EqualFold(attr(n, "type"), "cite") {
		return true
	}
	if attr(n, "id") == "Signature" || attr(n, "data-smartmail") == "gmail_signature" {
		return true
	}
	for _, class := range strings.Fields(attr(n, "class")) {
		switch class {
		case "gmail_quote", "gmail_quote_container", "gmail_signature", "gmail_signature_prefix",
			"moz-cite-prefix", "moz-signature", "yahoo_quoted":
			return true
		}
	}
	return false
}

// cutFrom removes n, everything after it in its parent, and everything after
// each of its ancestors. An <hr> directly before n (Outlook draws one above
// its reply header) goes too.
func cutFrom(n *xhtml.Node) {
	if prev := previousElement(n); prev != nil && prev.Data == "hr" {
		n = prev
	}
	for a := n; a.Parent != nil && !(a.Type == xhtml.ElementNode && a.Data == "body"); a = a.Parent {
		for s := a.NextSibling; s != nil; {
			next := s.NextSibling
			a.Parent.RemoveChild(s)
			s = next
		}
	}
	n.Parent.RemoveChild(n)
}

// previousElement returns the element before n, skipping whitespace text.
func previousElement(n *xhtml.Node) *xhtml.Node {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		switch {
		case p.Type == xhtml.ElementNode:
			return p
		case p.Type == xhtml.TextNode && strings.TrimSpace(p.Data) == "":
			continue
		default:
			return nil
		}
	}
	return nil
}

// attr returns the value of n's attribute key, or "".
func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// textPrefixNodes bounds the nodes textPrefix visits, so that deeply
// nested markup without text cannot make history detection quadratic.
const textPrefixNodes = 500

// textPrefix returns about the first limit bytes of n's text, with
// whitespace collapsed, which is enough to recognise a reply header.
func textPrefix(n *xhtml.Node, limit int) string {
	var b strings.Builder
	visited := 0
	walkHTML(n, func(c *xhtml.Node) bool {
		visited++
		if b.Len() >= limit || visited > textPrefixNodes {
			return false
		}
		switch {
		case c.Type == xhtml.TextNode:
			b.WriteString(c.Data)
			b.WriteByte(' ')
		case c.Type == xhtml.ElementNode && (c.Data == "script" || c.Data == "style"):
			return false
		}
		return true
	})
	return strings.Join(strings.Fields(b.String()), " ")
}
