package email

import (
	"net/textproto"
	"time"
)

// Mail is one parsed e-mail message, normalised for the core's ingest path.
//
// All strings are valid UTF-8. Fields that could not be read are left empty
// and the reason is recorded in Warnings.
type Mail struct {
	// Header holds the top-level header fields exactly as received (not
	// RFC 2047 decoded), for checks this package does not make itself, such
	// as the core's own loop-detection header.
	Header textproto.MIMEHeader

	// MessageID is the Message-ID without angle brackets.
	MessageID string
	// InReplyTo is the first message ID in In-Reply-To, without angle
	// brackets; together with References it threads a reply to a ticket.
	InReplyTo string
	// References lists the message IDs of the References header, oldest
	// first, without angle brackets.
	References []string

	// Subject is the RFC 2047 decoded subject with folding whitespace
	// collapsed.
	Subject string
	// From is the author. When From is missing, the Sender header is used.
	From Address
	// ReplyTo lists the Reply-To addresses, where replies should go instead
	// of From.
	ReplyTo []Address
	// To lists the primary recipients.
	To []Address
	// Cc lists the carbon-copy recipients.
	Cc []Address
	// Date is the Date header, or the zero time when it is missing or cannot
	// be parsed.
	Date time.Time

	// Text is the plain-text body with "\n" line ends; format=flowed text is
	// unwrapped. When the message has only an HTML body, Text is derived
	// from it.
	Text string
	// HTML is the HTML body, sanitised so that it can be shown to an agent:
	// no scripts, event handlers, forms, relative links or remote resources
	// (remote images are replaced by their alt text, because they let
	// senders track when, and from where, a message is read). Links open in
	// a new window with rel="nofollow noopener". Inline images keep their
	// "cid:" references so that [Mail.RewriteCID] can point them at stored
	// attachments.
	HTML string
	// NewText is only the new part of the message: Text without quoted
	// history (reply headers, "> " quoting, the original below a reply) and
	// without the signature. A message that forwards another one inline
	// keeps the forwarded part, since that is what the sender wants
	// handled.
	NewText string
	// NewHTML is HTML with quoted history and signature blocks removed, when
	// the HTML carries the markers of a known mail client (and the message
	// is no inline forward); otherwise it equals HTML. It is empty when the
	// message has no HTML body.
	NewHTML string

	// Attachments lists every part that is not the text or HTML body, in
	// message order, including inline images and attached messages.
	Attachments []Attachment

	// Auto says whether a machine sent the message and what kind of
	// machine; see [AutoKind].
	Auto AutoKind
	// DSN is the delivery status of a bounce, or nil when the message is
	// not a delivery status notification or carries none.
	DSN *DSN
	// Report is set when the message is a report about an earlier mail: a
	// bounce, a read receipt or a spam complaint.
	Report *Report

	// Warnings lists the problems met while parsing (malformed MIME,
	// unknown charsets, unreadable headers). The parser works around each
	// of them; they are kept for diagnosis.
	Warnings []string
}

// Address is one mailbox from an address header.
type Address struct {
	// Name is the RFC 2047 decoded display name; it may be empty.
	Name string
	// Email is the address in lower case, so that it can be compared and
	// used as a lookup key.
	Email string
}

// Attachment is a message part other than the text or HTML body.
type Attachment struct {
	// Filename is the decoded (RFC 2047 or RFC 2231) file name without any
	// directory part. Parts that have none get a name derived from their
	// content type, and attached messages without one are named after their
	// subject; an attached message's name always ends in ".eml".
	Filename string
	// ContentType is the lower-case media type without parameters.
	ContentType string
	// ContentID is the Content-ID without angle brackets, empty when the
	// part has none.
	ContentID string
	// Inline reports whether the HTML body refers to this part through a
	// "cid:" URL, so that it is shown in the body rather than listed as a
	// download.
	Inline bool
	// Data is the decoded content. For an attached message it is the whole
	// message as received, so a forwarded mail keeps all of its content.
	Data []byte
}

// DSN is the machine-readable part of a delivery status notification
// (RFC 3464): which recipients the bounce is about and why, so that the core
// can mark the outbound message failed and show the reason.
type DSN struct {
	// OriginalMessageID is the Message-ID, without angle brackets, of the
	// message that bounced, taken from the returned message or its headers,
	// or else from the delivery-status part. It is empty when the bounce
	// does not say.
	OriginalMessageID string
	// Recipients lists the per-recipient status blocks.
	Recipients []DSNRecipient
}

// DSNRecipient is the delivery status for one recipient of the original
// message.
type DSNRecipient struct {
	// Recipient is the address the status is about (Final-Recipient, or
	// Original-Recipient when that is missing), in lower case.
	Recipient string
	// Action is what the reporting server did, in lower case: "failed",
	// "delayed", "delivered", "relayed" or "expanded".
	Action string
	// Status is the RFC 3463 status code, such as "5.1.1".
	Status string
	// DiagnosticCode is the remote server's reply, such as
	// "550 5.1.1 User unknown", without its type prefix ("smtp;").
	DiagnosticCode string
}

// AutoKind classifies who, or what, sent a message. Anything other than
// AutoNone must never get an automatic answer, to avoid mail loops.
type AutoKind int

const (
	// AutoNone is a message written by a person.
	AutoNone AutoKind = iota
	// AutoReply is an automatic answer to a message, such as an
	// out-of-office notice or a read receipt.
	AutoReply
	// AutoBulk is machine-generated or mass mail: mailing lists,
	// newsletters, notifications.
	AutoBulk
	// AutoBounce is a delivery failure or delay report.
	AutoBounce
	// AutoReport is any other machine-written report about an earlier
	// mail, such as a spam complaint (feedback report).
	AutoReport
)

// String returns the kind's lower-case name, suitable for storage and logs.
func (k AutoKind) String() string {
	switch k {
	case AutoNone:
		return "none"
	case AutoReply:
		return "autoreply"
	case AutoBulk:
		return "bulk"
	case AutoBounce:
		return "bounce"
	case AutoReport:
		return "report"
	}
	return "unknown"
}
