package email

import (
	"net/textproto"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// autoReplySubjectRe matches the subjects of out-of-office and other
// automatic replies from clients that do not mark them in the header
// (Exchange, Lotus Notes). The phrase must be the whole subject or be
// followed by a colon, so a customer asking about "out of office hours" is
// not taken for a machine.
var autoReplySubjectRe = regexp.MustCompile(`(?i)^\s*(out of office( autoreply)?|automatic reply|auto[- ]?reply|automatisch antwoord|afwezig(heidsbericht)?|abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática)\s*(:|$)`)

// classify decides whether a machine sent m. A bounce is recognised first,
// since bounces often carry auto-reply or bulk headers too; an auto-reply
// before bulk, since out-of-office replies are often also marked bulk.
func classify(m *Mail, root *enmime.Part) AutoKind {
	h := m.Header
	local := localPart(m.From.Email)
	if hasReport(root, "delivery-status") || local == "mailer-daemon" || local == "postmaster" {
		return AutoBounce
	}

	autoSubmitted := firstToken(h.Get("Auto-Submitted"))
	precedence := firstToken(h.Get("Precedence"))
	if autoSubmitted == "auto-replied" || precedence == "auto_reply" ||
		isYes(h.Get("X-Autoreply")) || isYes(h.Get("X-Autorespond")) ||
		hasReport(root, "disposition-notification") ||
		autoReplySubjectRe.MatchString(m.Subject) {
		return AutoReply
	}

	if (autoSubmitted != "" && autoSubmitted != "no") ||
		precedence == "bulk" || precedence == "junk" || precedence == "list" ||
		h.Get("List-Id") != "" || h.Get("List-Unsubscribe") != "" ||
		h.Get("X-Auto-Response-Suppress") != "" {
		return AutoBulk
	}
	return AutoNone
}

// hasReport reports whether the message is, or contains, a multipart/report
// of the given report type (RFC 6522) or the machine-readable part of one.
func hasReport(root *enmime.Part, reportType string) bool {
	found := false
	walkParts(root, func(p *enmime.Part) {
		switch {
		case p.ContentType == "multipart/report" && strings.EqualFold(contentTypeParam(p, "report-type"), reportType),
			p.ContentType == "message/"+reportType,
			p.ContentType == "message/global-"+reportType:
			found = true
		}
	})
	return found
}

// firstToken returns the lower-case first word of a header value such as
// "auto-replied; owner-email=..." or "bulk".
func firstToken(v string) string {
	v, _, _ = strings.Cut(v, ";")
	if f := strings.Fields(v); len(f) > 0 {
		return strings.ToLower(f[0])
	}
	return ""
}

// isYes reports whether a flag header such as X-Autoreply is present and
// not explicitly switched off.
func isYes(v string) bool {
	t := firstToken(v)
	return t != "" && t != "no" && t != "false" && t != "0"
}

// ShouldAutoAcknowledge reports whether an automatic acknowledgement may be
// sent in answer to m. It may not when a machine sent m (see [AutoKind],
// which covers Auto-Submitted other than "no", list and bulk headers and
// bounces), when m has no sender, when the sender or a Reply-To address is
// a system or no-reply mailbox, or when the envelope sender is empty
// ("Return-Path: <>", which RFC 5321 reserves for automatic messages).
// Answering any of those risks a mail loop or a reply nobody reads.
func (m *Mail) ShouldAutoAcknowledge() bool {
	if m.Auto != AutoNone || m.From.Email == "" || isSystemAddress(m.From.Email) {
		return false
	}
	for _, a := range m.ReplyTo {
		if isSystemAddress(a.Email) {
			return false
		}
	}
	return !nullReturnPath(m.Header)
}

// nullReturnPath reports whether the envelope sender recorded by the
// receiving server is empty.
func nullReturnPath(h textproto.MIMEHeader) bool {
	rp, ok := h["Return-Path"]
	return ok && len(rp) > 0 && strings.Trim(strings.TrimSpace(rp[0]), "<> ") == ""
}

// isSystemAddress reports whether addr is a mailbox no person reads:
// mail-system addresses and no-reply senders.
func isSystemAddress(addr string) bool {
	local := localPart(addr)
	if local == "mailer-daemon" || local == "postmaster" {
		return true
	}
	compact := strings.NewReplacer("-", "", "_", "", ".", "").Replace(local)
	for _, prefix := range []string{"noreply", "donotreply", "bounce"} {
		if strings.HasPrefix(compact, prefix) {
			return true
		}
	}
	return false
}

// localPart returns the lower-case part of addr before "@", without a
// "+tag" suffix.
func localPart(addr string) string {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	local, _, _ = strings.Cut(local, "+")
	return local
}
