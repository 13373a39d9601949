package email

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"

	"loket.dev/loket/internal/domain"
)

// ErrEmpty is returned by [Parse] for input that holds no message at all.
var ErrEmpty = errors.New("email: empty message")

// maxPartWarnings bounds the warnings kept per MIME part, so that a badly
// broken message cannot produce an unbounded list.
const maxPartWarnings = 10

// mimeParser is configured to salvage as much of a malformed message as
// possible instead of failing: broken parts are skipped with a warning,
// truncated content is kept, a multipart without boundary is read as a
// single part, and a declared charset is trusted over guessing.
var mimeParser = enmime.NewParser(
	enmime.SkipMalformedParts(true),
	enmime.SetReadPartErrorPolicy(func(*enmime.Part, error) bool { return true }),
	enmime.MultipartWOBoundaryAsSinglePart(true),
	enmime.DisableCharacterDetection(true),
	enmime.MaxStoredPartErrors(maxPartWarnings),
)

// wordDecoder decodes RFC 2047 encoded words in any charset the WHATWG
// encoding standard knows, which covers what mail clients send.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.NewReaderLabel}

// Parse parses one raw RFC 5322 message.
//
// It never gives up on a message that has any content: MIME errors, unknown
// charsets, bad headers and truncated encodings are worked around and
// reported in [Mail.Warnings]. The returned Mail is never nil; the error is
// non-nil only when raw holds nothing but whitespace ([ErrEmpty]).
//
// A mail whose MIME structure is past [MaxNesting] or [MaxParts], or that
// the MIME parser cannot read within its time, is read whole as plain text
// that starts with a note saying so.
func Parse(raw []byte) (*Mail, error) {
	parses.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), maxParseTime)
	defer cancel()
	return parse(ctx, raw)
}

// parse is [Parse] with the MIME parser bounded by ctx.
func parse(ctx context.Context, raw []byte) (*Mail, error) {
	m := &Mail{Header: textproto.MIMEHeader{}}
	if len(bytes.TrimSpace(raw)) == 0 {
		m.warnf("empty message")
		return m, ErrEmpty
	}

	var root *enmime.Part
	unparsed := scanShape(raw).tooComplex()
	if unparsed == "" {
		var err error
		root, err = readParts(ctx, raw)
		switch {
		case errors.Is(err, errParseTime):
			unparsed = "reading its MIME structure took too long"
		case err != nil:
			m.warnf("unreadable MIME structure, reading the message as plain text: %v", err)
			root = plainPart(raw)
		}
	}
	if unparsed != "" {
		m.warnf("not taken apart, read as plain text: %s", unparsed)
		root = plainPart(raw)
	}
	if strings.HasPrefix(root.ContentType, "multipart/") && root.FirstChild == nil && len(root.Content) == 0 {
		m.warnf("multipart message without any part, reading its body as plain text")
		root.Content = bodyOf(raw)
	}
	m.Header = root.Header
	collectPartWarnings(m, root)

	m.readHeaders(root.Header)

	body := collectBody(root)
	m.Text = strings.Join(splitLines(cleanText(body.text)), "\n")
	if unparsed != "" {
		m.Text = "[This mail is shown as received, without attachments or formatting, because " +
			unparsed + ". The original message is kept as received.]\n\n" + m.Text
	}
	rawHTML := cleanText(body.html)
	m.Auto = classify(m, root)
	if m.Auto == AutoBounce {
		m.DSN = parseDSN(m, root)
	}
	if m.Report = parseReport(m, root); m.Report != nil && m.Auto == AutoNone {
		m.Auto = AutoReport
	}

	var cidRefs map[string]bool
	if rawHTML != "" {
		cidRefs = m.readHTML(rawHTML)
	} else {
		m.NewText = newText(m.Text, m.Subject)
	}
	for _, p := range body.attachments {
		m.Attachments = append(m.Attachments, attachmentFromPart(p, cidRefs))
	}
	return m, nil
}

// warnf records a parse problem that was worked around.
func (m *Mail) warnf(format string, args ...any) {
	m.Warnings = append(m.Warnings, fmt.Sprintf(format, args...))
}

// plainPart builds a single text part from a message enmime could not read
// at all, keeping whatever header block net/mail can still make out.
func plainPart(raw []byte) *enmime.Part {
	p := enmime.NewPart("text/plain")
	p.Content = raw
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		p.Header = textproto.MIMEHeader(msg.Header)
		var body bytes.Buffer
		if _, err := body.ReadFrom(msg.Body); err == nil {
			p.Content = body.Bytes()
		}
	}
	return p
}

// bodyOf returns what follows the header block of raw.
func bodyOf(raw []byte) []byte {
	for i, b := range raw {
		if b != '\n' {
			continue
		}
		rest := raw[i+1:]
		if bytes.HasPrefix(rest, []byte("\n")) {
			return rest[1:]
		}
		if bytes.HasPrefix(rest, []byte("\r\n")) {
			return rest[2:]
		}
	}
	return nil
}

// collectPartWarnings copies enmime's per-part soft errors into m, once
// each: a broken encoding tends to report the same problem many times.
func collectPartWarnings(m *Mail, root *enmime.Part) {
	seen := map[string]bool{}
	walkParts(root, func(p *enmime.Part) {
		for _, e := range p.Errors {
			w := fmt.Sprintf("part %s: %s", p.PartID, e.Error())
			if !seen[w] {
				seen[w] = true
				m.Warnings = append(m.Warnings, w)
			}
		}
	})
}

// walkParts calls fn for p and every part below it, depth first, in message
// order.
func walkParts(p *enmime.Part, fn func(*enmime.Part)) {
	for ; p != nil; p = p.NextSibling {
		fn(p)
		walkParts(p.FirstChild, fn)
	}
}

// readHeaders fills the header-derived fields of m.
func (m *Mail) readHeaders(h textproto.MIMEHeader) {
	m.MessageID = firstID(h.Get("Message-Id"))
	m.InReplyTo = firstID(h.Get("In-Reply-To"))
	m.References = messageIDs(strings.Join(h.Values("References"), " "))
	m.Subject = strings.Join(strings.Fields(decodeHeader(h.Get("Subject"))), " ")
	if len(m.Subject) > domain.MaxSubjectBytes {
		m.warnf("subject of %d bytes cut to %d", len(m.Subject), domain.MaxSubjectBytes)
		m.Subject = domain.Truncate(m.Subject, domain.MaxSubjectBytes)
	}

	from := m.addresses(h, "From")
	if len(from) == 0 {
		from = m.addresses(h, "Sender")
	}
	if len(from) > 0 {
		m.From = from[0]
	} else {
		m.warnf("no sender address")
	}
	m.ReplyTo = m.addresses(h, "Reply-To")
	m.To = m.addresses(h, "To")
	m.Cc = m.addresses(h, "Cc")

	if d := h.Get("Date"); d != "" {
		t, err := mail.ParseDate(d)
		if err != nil {
			m.warnf("unreadable Date header %q: %v", d, err)
		} else {
			m.Date = t
		}
	}
}

// decodeHeader decodes RFC 2047 encoded words in a header value and repairs
// raw 8-bit bytes that are not UTF-8. A value with an undecodable word is
// returned as received rather than lost.
func decodeHeader(v string) string {
	if strings.Contains(v, "=?") {
		if d, err := wordDecoder.DecodeHeader(v); err == nil {
			v = d
		}
	}
	return cleanText(v)
}

// addresses parses the address header name of h. A list net/mail rejects is
// salvaged entry by entry, so one malformed address does not hide the rest.
func (m *Mail) addresses(h textproto.MIMEHeader, name string) []Address {
	v := strings.Join(h.Values(name), ", ")
	if strings.TrimSpace(v) == "" {
		return nil
	}
	list, err := enmime.ParseAddressList(v)
	if err != nil {
		m.warnf("malformed %s header %q: %v", name, v, err)
		out := salvageAddresses(v)
		for i := range out {
			out[i].Name = m.shortName(out[i].Name)
		}
		return out
	}
	var out []Address
	for _, a := range list {
		if a == nil || a.Address == "" {
			continue
		}
		out = append(out, Address{
			Name:  m.shortName(strings.TrimSpace(cleanText(a.Name))),
			Email: strings.ToLower(cleanText(a.Address)),
		})
	}
	return out
}

// shortName cuts a display name past domain.MaxNameBytes, with a warning.
func (m *Mail) shortName(name string) string {
	if len(name) <= domain.MaxNameBytes {
		return name
	}
	m.warnf("display name of %d bytes cut to %d", len(name), domain.MaxNameBytes)
	return domain.Truncate(name, domain.MaxNameBytes)
}

// salvageAddresses extracts what looks like addresses from a header value
// that is not a valid address list: each comma-separated entry is read as
// "Name <addr>" or as a bare word containing "@".
func salvageAddresses(v string) []Address {
	var out []Address
	for _, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		var a Address
		if lt := strings.LastIndexByte(entry, '<'); lt >= 0 {
			gt := strings.IndexByte(entry[lt:], '>')
			if gt < 0 {
				gt = len(entry) - lt
			}
			a.Email = strings.TrimSpace(entry[lt+1 : lt+gt])
			a.Name = strings.Trim(strings.TrimSpace(entry[:lt]), `"' `)
		} else {
			for _, f := range strings.Fields(entry) {
				if strings.Contains(f, "@") {
					a.Email = strings.Trim(f, `"'()[];:`)
					break
				}
			}
		}
		if !strings.Contains(a.Email, "@") {
			continue
		}
		a.Name = decodeHeader(a.Name)
		a.Email = strings.ToLower(cleanText(a.Email))
		out = append(out, a)
	}
	return out
}

// messageIDs returns the message IDs in v without angle brackets. IDs are
// normally bracketed; a value without brackets is split on whitespace, as
// some clients send it that way.
func messageIDs(v string) []string {
	var ids []string
	rest := v
	for {
		lt := strings.IndexByte(rest, '<')
		if lt < 0 {
			break
		}
		gt := strings.IndexByte(rest[lt:], '>')
		if gt < 0 {
			break
		}
		if id := strings.TrimSpace(rest[lt+1 : lt+gt]); id != "" {
			ids = append(ids, cleanText(id))
		}
		rest = rest[lt+gt+1:]
	}
	if len(ids) == 0 {
		for _, f := range strings.Fields(v) {
			ids = append(ids, cleanText(strings.Trim(f, "<>")))
		}
	}
	return ids
}

// firstID returns the first message ID in v, or "".
func firstID(v string) string {
	if ids := messageIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// cleanText returns s as valid UTF-8 without C1 control characters. Text
// that is not UTF-8 at all is taken to be Windows-1252 (what mislabelled
// Western mail nearly always is); text that is mostly UTF-8 with a few
// broken bytes keeps its UTF-8 and gets U+FFFD for the broken bytes.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = repairUTF8(s)
	}
	if strings.ContainsFunc(s, isC1) {
		// C1 controls never occur in real text. They appear when
		// Windows-1252 text (with its € and curly quotes) is labelled
		// ISO-8859-1, as Outlook has long done; give them the meaning
		// the sender saw.
		s = strings.Map(func(r rune) rune {
			if isC1(r) {
				return charmap.Windows1252.DecodeByte(byte(r))
			}
			return r
		}, s)
	}
	return s
}

// repairUTF8 turns invalid UTF-8 into valid UTF-8; see [cleanText].
func repairUTF8(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError && size > 1 {
			return strings.ToValidUTF8(s, "\uFFFD")
		}
		i += size
	}
	if d, err := charmap.Windows1252.NewDecoder().String(s); err == nil {
		return d
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// isC1 reports whether r is a C1 control character.
func isC1(r rune) bool {
	return r >= 0x80 && r <= 0x9f
}

// body is the result of walking the MIME tree: the text and HTML bodies and
// every other part.
type body struct {
	text, html  string
	attachments []*enmime.Part
}

// collectBody walks the MIME tree below p. In multipart/alternative it takes
// the last (richest) text and HTML version; in every other multipart the
// bodies of all children are joined, so that clients that split a body
// around an inline attachment lose nothing. Parts that are not a body are
// attachments.
func collectBody(p *enmime.Part) body {
	if p.FirstChild == nil {
		if isBodyPart(p) {
			text := string(p.Content)
			if p.ContentType == "text/html" {
				return body{html: text}
			}
			if strings.EqualFold(contentTypeParam(p, "format"), "flowed") {
				text = unflow(text, strings.EqualFold(contentTypeParam(p, "delsp"), "yes"))
			}
			return body{text: text}
		}
		if strings.HasPrefix(p.ContentType, "multipart/") {
			// A multipart without parts (no boundary, or none found) is
			// no attachment; whatever content it kept is read as text.
			return body{text: string(p.Content)}
		}
		return body{attachments: []*enmime.Part{p}}
	}

	var b body
	alternative := p.ContentType == "multipart/alternative"
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		cb := collectBody(c)
		b.attachments = append(b.attachments, cb.attachments...)
		switch {
		case alternative:
			if strings.TrimSpace(cb.text) != "" {
				b.text = cb.text
			}
			if strings.TrimSpace(cb.html) != "" {
				b.html = cb.html
			}
		default:
			if cb.text != "" {
				if b.text != "" && !strings.HasSuffix(b.text, "\n") {
					b.text += "\n"
				}
				b.text += cb.text
			}
			b.html += cb.html
		}
	}
	return b
}

// isBodyPart reports whether p is message text rather than an attached
// file: text/plain or text/html (or untyped, which means text/plain) that is
// neither marked as attachment nor named like a file.
func isBodyPart(p *enmime.Part) bool {
	switch p.ContentType {
	case "text/plain", "text/html", "":
	default:
		return false
	}
	return p.Disposition != "attachment" && p.FileName == ""
}

// contentTypeParam returns a parameter of p's Content-Type header, such as
// format=flowed; enmime parses the parameters but does not keep them.
func contentTypeParam(p *enmime.Part, name string) string {
	_, params, _, err := mediatype.Parse(p.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return params[name]
}

// unflow joins the soft line breaks of a format=flowed text (RFC 3676) so
// the text reads as the sender wrote it. Quoted lines keep their quote
// depth, and the "-- " signature separator stays a line of its own.
func unflow(text string, delSp bool) string {
	var out strings.Builder
	var para strings.Builder
	paraDepth := -1
	flush := func() {
		if paraDepth < 0 {
			return
		}
		if paraDepth > 0 {
			out.WriteString(strings.Repeat(">", paraDepth))
			if para.Len() > 0 {
				out.WriteByte(' ')
			}
		}
		out.WriteString(para.String())
		out.WriteByte('\n')
		para.Reset()
		paraDepth = -1
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for _, line := range lines {
		depth := len(line) - len(strings.TrimLeft(line, ">"))
		content := strings.TrimPrefix(line[depth:], " ")
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if paraDepth >= 0 && (depth != paraDepth || content == "-- ") {
			flush()
		}
		if flowed && delSp {
			content = content[:len(content)-1]
		}
		para.WriteString(content)
		paraDepth = depth
		if !flowed {
			flush()
		}
	}
	flush()
	return out.String()
}

// attachmentFromPart converts a non-body part. cidRefs holds the Content-IDs
// the HTML body refers to.
func attachmentFromPart(p *enmime.Part, cidRefs map[string]bool) Attachment {
	a := Attachment{
		ContentType: p.ContentType,
		ContentID:   contentID(p.Header.Get("Content-Id")),
		Data:        p.Content,
	}
	if a.ContentType == "" {
		a.ContentType = "application/octet-stream"
	}
	a.Inline = a.ContentID != "" && cidRefs[a.ContentID]
	a.Filename = domain.BaseFilename(cleanText(p.FileName))
	if isMessageType(a.ContentType) {
		if a.Filename == "" {
			a.Filename = attachedMessageName(p.Content)
		} else if !strings.HasSuffix(strings.ToLower(a.Filename), ".eml") {
			a.Filename += ".eml"
		}
	}
	if a.Filename == "" {
		a.Filename = "attachment" + extensionFor(a.ContentType)
	}
	return a
}

// contentID returns a Content-ID header value without brackets or spaces.
func contentID(v string) string {
	return cleanText(strings.Trim(strings.TrimSpace(v), "<>"))
}

// isMessageType reports whether ct is an attached e-mail message.
func isMessageType(ct string) bool {
	return ct == "message/rfc822" || ct == "message/global"
}

// attachedMessageName names an attached message after its subject, so that
// an agent recognises a forwarded mail in the attachment list.
func attachedMessageName(raw []byte) string {
	h, _ := readHeaderBlock(raw)
	subject := strings.Join(strings.Fields(decodeHeader(h.Get("Subject"))), " ")
	subject = strings.NewReplacer("/", "-", `\`, "-").Replace(subject)
	if name := domain.BaseFilename(subject); name != "" {
		return name + ".eml"
	}
	return "message.eml"
}

// readHeaderBlock reads the header block at the start of raw, keeping the
// fields read before any malformed line.
func readHeaderBlock(raw []byte) (textproto.MIMEHeader, error) {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	h, err := r.ReadMIMEHeader()
	if h == nil {
		h = textproto.MIMEHeader{}
	}
	return h, err
}

// extensionFor returns a file extension for the content types that commonly
// arrive without a file name, and "" for the rest.
func extensionFor(ct string) string {
	switch ct {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "application/pdf":
		return ".pdf"
	case "text/plain", "message/delivery-status", "message/global-delivery-status",
		"text/rfc822-headers", "message/global-headers":
		return ".txt"
	case "text/html":
		return ".html"
	case "text/calendar":
		return ".ics"
	case "message/rfc822", "message/global":
		return ".eml"
	case "application/pkcs7-signature":
		return ".p7s"
	}
	return ""
}
