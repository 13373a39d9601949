package email

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// maxStatusBlocks bounds the header blocks read from one delivery-status
// part; real reports have one per recipient.
const maxStatusBlocks = 1000

// parseDSN extracts the delivery status from a bounce: the per-recipient
// blocks of its message/delivery-status part (RFC 3464) and the Message-ID
// of the returned message. It returns nil when the bounce carries neither,
// as hand-written bounces from old mail servers do.
func parseDSN(m *Mail, root *enmime.Part) *DSN {
	var d DSN
	var found bool
	var returnedID, statusID string
	walkParts(root, func(p *enmime.Part) {
		switch p.ContentType {
		case "message/delivery-status", "message/global-delivery-status":
			found = true
			id, recipients := readDeliveryStatus(m, p.Content)
			d.Recipients = append(d.Recipients, recipients...)
			if statusID == "" {
				statusID = id
			}
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
			found = true
			if returnedID == "" {
				h, _ := readHeaderBlock(p.Content)
				returnedID = firstID(h.Get("Message-Id"))
			}
		}
	})
	if !found {
		return nil
	}
	d.OriginalMessageID = returnedID
	if d.OriginalMessageID == "" {
		d.OriginalMessageID = statusID
	}
	return &d
}

// readDeliveryStatus reads a message/delivery-status body, which is a
// series of header blocks separated by blank lines: one with per-message
// fields, then one per recipient. It returns the original Message-ID that
// some servers (Exchange) put among the per-message fields, and the
// recipient statuses.
func readDeliveryStatus(m *Mail, content []byte) (string, []DSNRecipient) {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(content)))
	var originalID string
	var recipients []DSNRecipient
	warned := false
	for range maxStatusBlocks {
		h, err := r.ReadMIMEHeader()
		if recipient := dsnAddress(h.Get("Final-Recipient")); recipient != "" || h.Get("Action") != "" {
			if recipient == "" {
				recipient = dsnAddress(h.Get("Original-Recipient"))
			}
			status, _, _ := strings.Cut(strings.TrimSpace(h.Get("Status")), " ")
			recipients = append(recipients, DSNRecipient{
				Recipient:      recipient,
				Action:         firstToken(h.Get("Action")),
				Status:         cleanText(status),
				DiagnosticCode: typedValue(h.Get("Diagnostic-Code")),
			})
		} else if originalID == "" {
			originalID = firstID(h.Get("X-Original-Message-Id"))
			if originalID == "" {
				originalID = firstID(h.Get("Original-Message-Id"))
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil && !warned {
			m.warnf("malformed delivery status: %v", err)
			warned = true
		}
	}
	return originalID, recipients
}

// dsnAddress returns the address of a typed address field such as
// "rfc822; jan@example.nl", in lower case.
func dsnAddress(v string) string {
	return strings.ToLower(strings.Trim(typedValue(v), "<> "))
}

// typedValue returns the value of a DSN field of the form "type; value"
// (RFC 3464), with folding whitespace collapsed; a value without a type is
// returned whole.
func typedValue(v string) string {
	if _, value, ok := strings.Cut(v, ";"); ok {
		v = value
	}
	return cleanText(strings.Join(strings.Fields(v), " "))
}
