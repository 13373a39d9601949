package email

import (
	"strings"
	"sync/atomic"

	"github.com/jhillyerd/enmime/v2"
)

// parses counts the mails Parse has read, so a test can prove that the
// ingest path reads each mail once.
var parses atomic.Int64

// Report types of multipart/report (RFC 6522) that Loket reads.
const (
	ReportDeliveryStatus = "delivery-status"          // a bounce or delivery notice (RFC 3464)
	ReportDisposition    = "disposition-notification" // a read receipt (RFC 8098)
	ReportFeedback       = "feedback-report"          // a spam complaint (RFC 5965)
)

// Report is a machine-written report about a mail sent earlier: a
// delivery status, a read receipt or a feedback report. Reports are
// automatic mail: they are never acknowledged, never reopen a ticket, and
// what they say becomes a status on the message they are about.
type Report struct {
	// Type is the report-type of the multipart/report, or the type of its
	// machine-readable part when the container does not say.
	Type string
	// OriginalMessageID is the Message-ID, without angle brackets, of the
	// mail the report is about, from the report's fields or the returned
	// message or headers; empty when the report does not say.
	OriginalMessageID string
	// Disposition is a read receipt's disposition type, such as
	// "displayed" or "deleted".
	Disposition string
	// FeedbackType is a feedback report's type, such as "abuse".
	FeedbackType string
}

// parseReport reads the report m carries, or returns nil when m is no
// report. A bounce's details are in m.DSN; this names what it is about.
func parseReport(m *Mail, root *enmime.Part) *Report {
	var r Report
	var returnedID, fieldID string
	walkParts(root, func(p *enmime.Part) {
		switch p.ContentType {
		case "multipart/report":
			if r.Type == "" {
				r.Type = strings.ToLower(contentTypeParam(p, "report-type"))
			}
		case "message/delivery-status", "message/global-delivery-status":
			r.Type = orElse(r.Type, ReportDeliveryStatus)
		case "message/disposition-notification", "message/global-disposition-notification":
			r.Type = orElse(r.Type, ReportDisposition)
			h, _ := readHeaderBlock(p.Content)
			fieldID = orElse(fieldID, firstID(h.Get("Original-Message-Id")))
			if _, d, ok := strings.Cut(h.Get("Disposition"), ";"); ok {
				r.Disposition = firstToken(strings.ReplaceAll(d, "/", " "))
			}
		case "message/feedback-report":
			r.Type = orElse(r.Type, ReportFeedback)
			h, _ := readHeaderBlock(p.Content)
			r.FeedbackType = firstToken(h.Get("Feedback-Type"))
			fieldID = orElse(fieldID, firstID(h.Get("Original-Message-Id")))
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
			if returnedID == "" {
				h, _ := readHeaderBlock(p.Content)
				returnedID = firstID(h.Get("Message-Id"))
			}
		}
	})
	if r.Type == "" && m.Auto != AutoBounce {
		return nil
	}
	r.Type = orElse(r.Type, ReportDeliveryStatus)
	r.OriginalMessageID = orElse(fieldID, returnedID)
	if m.DSN != nil && m.DSN.OriginalMessageID != "" {
		r.OriginalMessageID = m.DSN.OriginalMessageID
	}
	return &r
}
