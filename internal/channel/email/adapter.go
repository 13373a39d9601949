package email

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sla"
)

// Kind is the channel kind this package serves.
const Kind = "email"

// Limits on what Parse hands to the core; the core refuses larger messages,
// and a customer's mail must never be refused for being long.
const (
	maxText        = 1 << 20
	maxAttachments = 50
)

// Adapter implements channel.Adapter and channel.Parser for e-mail
// channels: it parses raw RFC 5322 messages and sends replies over SMTP.
type Adapter struct {
	// History lists a ticket's messages, oldest first, so that a reply can
	// name the customer's last mail in In-Reply-To and References and get
	// a "Re:" subject. *store.Store satisfies it. When nil, replies are
	// sent without those headers and threads rely on the ticket number in
	// the subject.
	History History
	// Dialer opens SMTP connections; the zero value is used when nil.
	Dialer *Dialer
	// IDKey is the secret that makes outbound Message-IDs unguessable.
	IDKey []byte
}

// History lists the newest messages of a ticket, oldest first.
type History interface {
	LastMessages(ctx context.Context, ticketID int64, limit int) ([]*domain.Message, bool, error)
}

// historyWindow is how far back a reply looks for the mails it answers.
const historyWindow = 200

// New returns an adapter that threads replies with h (which may be nil).
func New(h History) *Adapter { return &Adapter{History: h} }

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter: the IMAP and SMTP passwords.
func (*Adapter) Secrets() []string { return []string{"imap.password", "smtp.password"} }

// Capabilities implements channel.Describer.
func (*Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{HTML: true, Subject: true, Copies: true, Attachments: true, Identities: []domain.IdentityKind{domain.IdentityEmail}}
}

// Settings are the public settings of an e-mail channel.
type Settings struct {
	// Addresses are the channel's own addresses; the first one sends.
	Addresses []string `json:"addresses"`
	// FromName is the display name on outgoing mail.
	FromName string   `json:"from_name,omitempty"`
	IMAP     *Server  `json:"imap,omitempty"`
	SMTP     *Server  `json:"smtp,omitempty"`
	AutoAck  *AutoAck `json:"auto_ack,omitempty"`
}

// Server is how to reach an IMAP or SMTP server.
type Server struct {
	Host string `json:"host"`
	Port int    `json:"port,omitempty"`
	// TLS is "implicit" (the default), "starttls" or "none".
	TLS      string `json:"tls,omitempty"`
	Username string `json:"username,omitempty"`
	// Folder is the IMAP folder to watch, INBOX by default.
	Folder string `json:"folder,omitempty"`
}

// AutoAck configures the automatic acknowledgement of new tickets.
type AutoAck struct {
	Enabled bool `json:"enabled"`
	// TimeZone is where the expected answer time is written for the
	// customer; Europe/Amsterdam when empty.
	TimeZone string `json:"time_zone,omitempty"`
	// Nudge suggests a faster channel, such as the website chat, while it
	// is staffed.
	Nudge *Nudge `json:"nudge,omitempty"`
}

// Nudge points customers to a faster channel in the acknowledgement.
type Nudge struct {
	URL string `json:"url"`
	// ChannelID is the faster channel (the website chat). With it the
	// nudge is offered only while an agent of that channel's team who can
	// take it is online, with routing's live expected wait.
	ChannelID int64 `json:"channel_id,omitempty"`
	// Hours are when the channel is open, for a nudge without ChannelID;
	// without either it is always suggested.
	Hours *sla.CalendarConfig `json:"hours,omitempty"`
}

// TLS modes of a Server.
const (
	TLSImplicit = "implicit"
	TLSStartTLS = "starttls"
	TLSNone     = "none"
)

// tlsMode is s.TLS with the default applied.
func (s *Server) tlsMode() string {
	if s.TLS == "" {
		return TLSImplicit
	}
	return s.TLS
}

// address is host:port, with the port defaulting by protocol and TLS mode.
func (s *Server) address(implicitPort, plainPort int) string {
	port := s.Port
	if port == 0 {
		port = plainPort
		if s.tlsMode() == TLSImplicit {
			port = implicitPort
		}
	}
	return s.Host + ":" + strconv.Itoa(port)
}

// From is the sending address: the first configured one.
func (s *Settings) From() string {
	if len(s.Addresses) == 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(s.Addresses[0]))
}

// Owns reports whether addr is one of the channel's addresses.
func (s *Settings) Owns(addr string) bool {
	addr = strings.ToLower(strings.TrimSpace(addr))
	for _, a := range s.Addresses {
		if strings.ToLower(strings.TrimSpace(a)) == addr {
			return true
		}
	}
	return false
}

// ParseSettings decodes a channel's settings, refusing unknown fields.
func ParseSettings(raw json.RawMessage) (*Settings, error) {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate implements channel.Adapter.
func (*Adapter) Validate(raw json.RawMessage, secrets map[string]string) error {
	invalid := func(format string, args ...any) error {
		return domain.Invalid("invalid_settings", fmt.Sprintf(format, args...))
	}
	s, err := ParseSettings(raw)
	if err != nil {
		return invalid("email channel settings: %s; allowed: addresses, from_name, imap, smtp, auto_ack", err)
	}
	if len(s.Addresses) == 0 {
		return invalid("addresses needs at least one e-mail address, such as support@example.com")
	}
	for i, a := range s.Addresses {
		addr, err := mail.ParseAddress(strings.TrimSpace(a))
		if err != nil || addr.Address != strings.TrimSpace(a) || !strings.Contains(addr.Address, "@") {
			return invalid("addresses[%d] %q is not a plain e-mail address", i, a)
		}
	}
	if s.SMTP == nil {
		return invalid("smtp is required to send replies: give host, port, tls and username")
	}
	for _, srv := range []struct {
		name string
		s    *Server
	}{{"smtp", s.SMTP}, {"imap", s.IMAP}} {
		if srv.s == nil {
			continue
		}
		if strings.TrimSpace(srv.s.Host) == "" {
			return invalid("%s.host is required", srv.name)
		}
		if srv.s.Port < 0 || srv.s.Port > 65535 {
			return invalid("%s.port must be between 1 and 65535", srv.name)
		}
		switch srv.s.tlsMode() {
		case TLSImplicit, TLSStartTLS, TLSNone:
		default:
			return invalid("%s.tls must be implicit, starttls or none", srv.name)
		}
		if srv.name == "imap" && srv.s.Username == "" {
			return invalid("imap.username is required")
		}
		if srv.name == "smtp" && srv.s.Folder != "" {
			return invalid("smtp.folder is not a setting; did you mean imap.folder?")
		}
		if srv.s.Username != "" && secrets[srv.name+".password"] == "" {
			return invalid("%s.password is required with %s.username", srv.name, srv.name)
		}
	}
	return nil
}

// ticketToken finds a ticket number such as "[#12345]" in a subject.
var ticketToken = regexp.MustCompile(`\[#(\d{1,18})\]`)

// meta is what an inbound mail keeps besides its text: the full text with
// quoted history, the other recipients and how it was classified.
type meta struct {
	To                 []string `json:"to,omitempty"`
	Cc                 []string `json:"cc,omitempty"`
	FullText           string   `json:"full_text,omitempty"`
	Auto               string   `json:"auto,omitempty"`
	DroppedAttachments int      `json:"dropped_attachments,omitempty"`
	// NoAck is set when the sender must not get an automatic answer (see
	// [Mail.ShouldAutoAcknowledge]).
	NoAck bool `json:"no_ack,omitempty"`
}

// Parse implements channel.Parser: body is one raw RFC 5322 message, read
// once. A report about one of our mails (a bounce, a read receipt, a spam
// complaint) yields the status it reports and joins that mail's ticket as
// an automatic message; a report about no mail of ours is dropped.
func (*Adapter) Parse(ch *domain.Channel, _ string, raw []byte, region string) (*channel.Batch, error) {
	m, err := Parse(raw)
	if err != nil {
		return nil, domain.Invalid("invalid_email", "cannot read the message: "+err.Error())
	}
	in, err := Inbound(m, raw, region)
	if err != nil {
		return nil, err
	}
	in.ChannelID = ch.ID
	return &channel.Batch{Messages: []*channel.Inbound{in}, Statuses: Statuses(m)}, nil
}

// Inbound turns a parsed mail and its raw bytes into a normalised inbound
// message.
func Inbound(m *Mail, raw []byte, region string) (*channel.Inbound, error) {
	if m.From.Email == "" {
		return nil, domain.Invalid("missing_sender", "the message has no From address")
	}
	from, err := domain.NewIdentity(domain.IdentityEmail, m.From.Email, region)
	if err != nil {
		return nil, err
	}
	in := &channel.Inbound{
		ExternalID: m.MessageID,
		From:       from,
		Name:       m.From.Name,
		Subject:    m.Subject,
		Text:       m.NewText,
		HTML:       m.NewHTML,
		Standalone: true,
		Automatic:  m.Auto != AutoNone,
		Raw:        raw,
		ProviderAt: m.Date,
	}
	if in.ExternalID == "" || len(in.ExternalID) > 255 {
		sum := sha256.Sum256(raw)
		in.ExternalID = "sha256-" + hex.EncodeToString(sum[:]) + "@loket.invalid"
	}
	if strings.TrimSpace(in.Text) == "" {
		in.Text = m.Text
	}
	if len(in.HTML) > maxText {
		in.HTML = "" // the text still carries the message
	}
	in.Text = truncate(in.Text, maxText)
	if strings.TrimSpace(in.Text) == "" && strings.TrimSpace(in.HTML) == "" && len(m.Attachments) == 0 {
		in.Text = orElse(strings.TrimSpace(m.Subject), "(empty message)")
	}
	if m.Report != nil {
		in.ThreadOnly = true
		in.ReplyTo = appendRefs(in.ReplyTo, m.Report.OriginalMessageID)
	}
	in.ReplyTo = appendRefs(in.ReplyTo, m.InReplyTo)
	for i := len(m.References) - 1; i >= 0; i-- {
		in.ReplyTo = appendRefs(in.ReplyTo, m.References[i])
	}
	if t := ticketToken.FindStringSubmatch(m.Subject); t != nil {
		in.TicketNumber, _ = strconv.ParseInt(t[1], 10, 64)
	}
	md := meta{Cc: emails(m.Cc), To: emails(m.To), NoAck: !m.ShouldAutoAcknowledge()}
	if in.Text != m.Text {
		md.FullText = truncate(m.Text, maxText)
	}
	if m.Auto != AutoNone {
		md.Auto = m.Auto.String()
	}
	for _, a := range m.Attachments {
		if len(in.Attachments) == maxAttachments {
			md.DroppedAttachments++
			continue
		}
		in.Attachments = append(in.Attachments, channel.Attachment{
			Filename: a.Filename, ContentType: a.ContentType, ContentID: a.ContentID, Inline: a.Inline, Data: a.Data,
		})
	}
	in.Meta, _ = json.Marshal(md)
	return in, nil
}

// appendRefs adds a message id to refs unless it is empty, too long to be
// an external id, or already there.
func appendRefs(refs []string, id string) []string {
	if id == "" || len(id) > 255 {
		return refs
	}
	for _, r := range refs {
		if r == id {
			return refs
		}
	}
	return append(refs, id)
}

func emails(as []Address) []string {
	var out []string
	for _, a := range as {
		if a.Email != "" {
			out = append(out, a.Email)
		}
	}
	return out
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Statuses turns what a report says about one of our mails into its
// delivery status: a bounce marks it failed (or delivered, for a success
// notice), a read receipt read, and a spam complaint delivered (the
// complaint itself joins the ticket as an automatic message). Reports that
// name no mail, and delay notices, give none.
func Statuses(m *Mail) []channel.Status {
	r := m.Report
	if r == nil || r.OriginalMessageID == "" {
		return nil
	}
	status := func(s domain.DeliveryStatus, reason string) []channel.Status {
		return []channel.Status{{ExternalID: r.OriginalMessageID, Status: s, Reason: reason}}
	}
	switch r.Type {
	case ReportDeliveryStatus:
		if id, reason, ok := Bounce(m); ok {
			return []channel.Status{{ExternalID: id, Status: domain.DeliveryFailed, Reason: reason}}
		}
		if m.DSN != nil {
			for _, rc := range m.DSN.Recipients {
				if rc.Action == "delivered" || rc.Action == "relayed" || rc.Action == "expanded" {
					return status(domain.DeliveryDelivered, "")
				}
			}
		}
	case ReportDisposition:
		if r.Disposition == "displayed" {
			return status(domain.DeliveryRead, "")
		}
		return status(domain.DeliveryDelivered, "")
	case ReportFeedback:
		return status(domain.DeliveryDelivered, "")
	}
	return nil
}

// Bounce reports which of our messages m says could not be delivered and
// why: originalMessageID is the Message-ID without brackets, which is the
// external id Send returned. ok is false when m is no bounce, names no
// original message, or only reports a delay or success.
func Bounce(m *Mail) (originalMessageID, reason string, ok bool) {
	if m.DSN == nil || m.DSN.OriginalMessageID == "" {
		return "", "", false
	}
	for _, r := range m.DSN.Recipients {
		if r.Action != "failed" {
			continue
		}
		reason = strings.TrimSpace(strings.Join(nonEmpty(r.Recipient+":", r.Status, r.DiagnosticCode), " "))
		return m.DSN.OriginalMessageID, orElse(reason, "bounced"), true
	}
	return "", "", false
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && s != ":" {
			out = append(out, s)
		}
	}
	return out
}

// Send implements channel.Adapter: it builds the reply as MIME and hands it
// to the channel's SMTP server. The Message-ID derives from the outbox's
// idempotency key, so a retry sends the same message.
func (a *Adapter) Send(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	s, err := ParseSettings(out.Channel.Settings)
	if err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("email channel settings: %w", err))
	}
	if s.SMTP == nil || s.From() == "" {
		return channel.Sent{}, channel.Permanent(errors.New("this e-mail channel has no smtp server or address to send from"))
	}
	if out.To == nil || out.To.Kind != domain.IdentityEmail {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("an e-mail channel can only send to an e-mail address, not to %v", out.To))
	}
	msg, id, err := a.build(ctx, s, out)
	if err != nil {
		return channel.Sent{}, err
	}
	rcpt := append([]string{out.To.Value}, ccOf(out.Message)...)
	if err := a.Dialer.send(ctx, s.SMTP, out.Channel.Secrets["smtp.password"], s.From(), rcpt, msg); err != nil {
		return channel.Sent{}, err
	}
	return channel.Sent{ExternalID: id}, nil
}

// MessageID is the Message-ID, without brackets, of the outbound message
// with idempotency key key sent from address from: the same on every retry,
// and, with a secret idKey, impossible to guess, so nobody can slip into
// a customer's thread by forging a reply to it.
func MessageID(idKey []byte, key string, messageID int64, from string) string {
	_, domainPart, _ := strings.Cut(from, "@")
	mac := hmac.New(sha256.New, idKey)
	mac.Write([]byte(key + "\x00" + from))
	return fmt.Sprintf("loket-%d-%s@%s", messageID, hex.EncodeToString(mac.Sum(nil)[:12]), orElse(domainPart, "loket.invalid"))
}

// build renders out as a MIME message and returns it with its Message-ID.
func (a *Adapter) build(ctx context.Context, s *Settings, out *channel.Outbound) ([]byte, string, error) {
	m, t := out.Message, out.Ticket
	id := MessageID(a.IDKey, out.IdempotencyKey, m.ID, s.From())
	refs, err := a.references(ctx, out)
	if err != nil {
		return nil, "", err
	}
	subject := t.Subject
	if !ticketToken.MatchString(subject) {
		subject = fmt.Sprintf("[#%d] %s", t.Number, subject)
	}
	if len(refs) > 0 && !hasReplyPrefix(t.Subject) {
		subject = "Re: " + subject
	}
	date := time.Now()
	if m.CreatedAt != 0 {
		date = time.UnixMilli(m.CreatedAt)
	}
	b := enmime.Builder().
		From(s.FromName, s.From()).
		To(out.Contact.Name, out.To.Value).
		Subject(strings.TrimSpace(subject)).
		Date(date).
		Header("Message-ID", "<"+id+">").
		Text([]byte(m.Text))
	for _, cc := range ccOf(m) {
		b = b.CC("", cc)
	}
	if m.HTML != "" {
		b = b.HTML([]byte(m.HTML))
	}
	if len(refs) > 0 {
		b = b.Header("In-Reply-To", "<"+refs[len(refs)-1]+">").
			Header("References", "<"+strings.Join(refs, "> <")+">")
	}
	if m.AuthorType == domain.AuthorSystem {
		b = b.Header("Auto-Submitted", "auto-replied")
	}
	for _, att := range m.Attachments {
		data, err := out.Attachment(ctx, att)
		if err != nil {
			return nil, "", err
		}
		b = b.AddAttachment(data, att.ContentType, att.Filename)
	}
	root, err := b.Build()
	if err != nil {
		return nil, "", channel.Permanent(fmt.Errorf("build e-mail: %w", err))
	}
	var buf bytes.Buffer
	if err := root.Encode(&buf); err != nil {
		return nil, "", channel.Permanent(fmt.Errorf("encode e-mail: %w", err))
	}
	return buf.Bytes(), id, nil
}

// maxReferences bounds the References header of a reply.
const maxReferences = 10

// references lists the external ids of the ticket's earlier e-mails on this
// channel, oldest first, ending with the customer's last mail.
func (a *Adapter) references(ctx context.Context, out *channel.Outbound) ([]string, error) {
	if a.History == nil {
		return nil, nil
	}
	msgs, _, err := a.History.LastMessages(ctx, out.Ticket.ID, historyWindow)
	if err != nil {
		return nil, fmt.Errorf("thread reply: %w", err)
	}
	last := -1
	for i, msg := range msgs {
		if msg.ID != out.Message.ID && msg.Direction == domain.DirectionIn && msg.ChannelID == out.Channel.ID && msg.ExternalID != "" {
			last = i
		}
	}
	if last < 0 {
		return nil, nil
	}
	var refs []string
	for _, msg := range msgs[:last+1] {
		if msg.ID != out.Message.ID && msg.ChannelID == out.Channel.ID && msg.ExternalID != "" && validRef(msg.ExternalID) {
			refs = append(refs, msg.ExternalID)
		}
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1:1], refs[len(refs)-maxReferences+1:]...)
	}
	return refs, nil
}

// ccOf returns the copy recipients of an outbound message (reply to all),
// kept in its meta as {"cc": [...]}.
func ccOf(m *domain.Message) []string {
	var meta struct {
		Cc []string `json:"cc"`
	}
	json.Unmarshal(m.Meta, &meta)
	return meta.Cc
}

// validRef reports whether id can be written as a message id in a header.
func validRef(id string) bool {
	return strings.Contains(id, "@") && !strings.ContainsAny(id, "<> \t\r\n")
}

func hasReplyPrefix(subject string) bool {
	s := strings.ToLower(strings.TrimSpace(subject))
	return strings.HasPrefix(s, "re:") || strings.HasPrefix(s, "aw:") || strings.HasPrefix(s, "antw:")
}
