// Package api is the API channel: any system posts customer messages in as
// JSON and receives agent replies as signed JSON webhooks. It is the first
// channel and the way a web shop, ERP or form feeds Loket.
package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sanitize"
)

// Kind is the channel kind this package serves.
const Kind = "api"

// SignatureHeader carries the HMAC-SHA256 of an outbound webhook body.
const SignatureHeader = "X-Loket-Signature"

// Adapter implements channel.Adapter and channel.Parser for API channels.
type Adapter struct {
	Client *http.Client
}

// New returns an adapter with a client that gives up after 30 seconds.
func New() *Adapter { return &Adapter{Client: &http.Client{Timeout: 30 * time.Second}} }

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter: the webhook signing secret.
func (*Adapter) Secrets() []string { return []string{"secret"} }

// Capabilities implements channel.Describer: the calling system gets the
// whole reply, for the addresses it knows customers by (never a website
// visitor's). It may post public posts (comments, reviews it watches) and
// is told which replies are public or private answers to them.
func (*Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{HTML: true, Attachments: true, Public: true, PrivateReplies: true,
		Identities: []domain.IdentityKind{domain.IdentityEmail, domain.IdentityPhone, domain.IdentityExternal}}
}

// Settings are the public settings of an API channel.
type Settings struct {
	WebhookURL string `json:"webhook_url,omitempty"`
}

// Validate implements channel.Adapter.
func (*Adapter) Validate(raw json.RawMessage, secrets map[string]string) error {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return domain.Invalid("invalid_settings", "api channel settings: "+err.Error()+"; allowed: webhook_url, secret")
	}
	if s.WebhookURL == "" {
		return nil
	}
	u, err := url.Parse(s.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return domain.Invalid("invalid_settings", "webhook_url must be an http:// or https:// URL")
	}
	if len(secrets["secret"]) < 16 {
		return domain.Invalid("invalid_settings", "a channel with a webhook_url needs a secret of at least 16 characters to sign deliveries")
	}
	return nil
}

// Message is the JSON a system posts to /api/v1/channels/{id}/inbound.
type Message struct {
	ExternalID  string       `json:"external_id"`
	From        From         `json:"from"`
	Subject     string       `json:"subject"`
	Text        string       `json:"text"`
	HTML        string       `json:"html"`
	Thread      string       `json:"thread"`
	Language    string       `json:"language"`
	Attachments []Attachment `json:"attachments"`
	// Public marks a post anyone can see (a comment, a review on a site
	// the calling system watches); it needs a thread.
	Public *domain.PublicPost `json:"public"`
}

// From identifies the customer by any of their addresses.
type From struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
	ID    string `json:"id"`
	Name  string `json:"name"`
}

// Attachment is a file with base64 data.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        string `json:"data"`
	Size        int64  `json:"size,omitempty"`
}

// Parse implements channel.Parser: one JSON message per request.
func (*Adapter) Parse(ch *domain.Channel, contentType string, body []byte, region string) (*channel.Batch, error) {
	// Only JSON: a text/plain body could be posted from any web page
	// without a CORS preflight.
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, domain.Invalid("unsupported_media_type", "send the message as Content-Type: application/json")
	}
	var m Message
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, domain.Invalid("invalid_json", "message body: "+jsonProblem(err))
	}
	if dec.More() {
		return nil, domain.Invalid("invalid_json", "message body: one JSON object expected")
	}
	in, err := m.Inbound(region)
	if err != nil {
		return nil, err
	}
	in.ChannelID = ch.ID
	return &channel.Batch{Messages: []*channel.Inbound{in}}, nil
}

// Inbound validates m and turns it into a normalised inbound message. The
// reply address is, in order of preference, the e-mail, the phone number,
// then the caller's own id.
func (m *Message) Inbound(region string) (*channel.Inbound, error) {
	in := &channel.Inbound{
		ExternalID: strings.TrimSpace(m.ExternalID),
		Name:       strings.TrimSpace(m.From.Name),
		Subject:    strings.TrimSpace(m.Subject),
		Text:       m.Text,
		HTML:       sanitize.HTML(m.HTML),
		Thread:     strings.TrimSpace(m.Thread),
		Language:   strings.ToLower(strings.TrimSpace(m.Language)),
		Public:     m.Public,
	}
	var ids []domain.Identity
	for _, f := range []struct {
		kind  domain.IdentityKind
		value string
	}{{domain.IdentityEmail, m.From.Email}, {domain.IdentityPhone, m.From.Phone}, {domain.IdentityExternal, m.From.ID}} {
		if strings.TrimSpace(f.value) == "" {
			continue
		}
		id, err := domain.NewIdentity(f.kind, f.value, region)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, domain.Invalid("missing_sender", "from needs at least one of email, phone or id")
	}
	in.From, in.Also = ids[0], ids[1:]
	if in.Text == "" && in.HTML != "" {
		in.Text = sanitize.Text(in.HTML)
	}
	for i, a := range m.Attachments {
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return nil, domain.Invalid("invalid_attachment", fmt.Sprintf("attachments[%d].data is not base64", i))
		}
		in.Attachments = append(in.Attachments, channel.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: data})
	}
	return in, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s must be %s", te.Field, te.Type)
	case errors.Is(err, io.EOF):
		return "empty"
	}
	return err.Error()
}

// Delivery is the JSON posted to the channel's webhook for each reply.
type Delivery struct {
	Event   string           `json:"event"`
	Message DeliveryMsg      `json:"message"`
	Ticket  DeliveryTicket   `json:"ticket"`
	Contact DeliveryCont     `json:"contact"`
	To      *domain.Identity `json:"to,omitempty"`
}

// DeliveryMsg is the reply in a Delivery.
type DeliveryMsg struct {
	ID          int64        `json:"id"`
	Text        string       `json:"text"`
	HTML        string       `json:"html,omitempty"`
	AuthorType  string       `json:"author_type"`
	CreatedAt   time.Time    `json:"created_at"`
	Attachments []Attachment `json:"attachments"`
	// Public: answer ReplyTo (the external_id of the customer's public
	// post) in public. PrivateReplyTo: answer that post privately.
	Public         bool   `json:"public,omitempty"`
	ReplyTo        string `json:"reply_to,omitempty"`
	PrivateReplyTo string `json:"private_reply_to,omitempty"`
}

// DeliveryTicket names the ticket of a Delivery.
type DeliveryTicket struct {
	ID      int64  `json:"id"`
	Number  int64  `json:"number"`
	Subject string `json:"subject"`
	Status  string `json:"status"`
}

// DeliveryCont names the customer of a Delivery.
type DeliveryCont struct {
	ID         int64             `json:"id"`
	Number     string            `json:"number"`
	Name       string            `json:"name"`
	Identities []domain.Identity `json:"identities"`
}

// Send implements channel.Adapter: POST the reply to the webhook, signed
// with the channel secret. 2xx means delivered; anything else is retried.
func (a *Adapter) Send(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	var s Settings
	if err := json.Unmarshal(out.Channel.Settings, &s); err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("api channel settings: %w", err))
	}
	if s.WebhookURL == "" {
		return channel.Sent{}, channel.Permanent(errors.New("this API channel has no webhook_url to deliver replies to"))
	}
	m := out.Message
	d := Delivery{
		Event: "message.created",
		Message: DeliveryMsg{ID: m.ID, Text: m.Text, HTML: m.HTML, AuthorType: string(m.AuthorType),
			CreatedAt: time.UnixMilli(m.CreatedAt).UTC(), Attachments: []Attachment{},
			Public: out.Public, ReplyTo: out.ReplyTo, PrivateReplyTo: out.PrivateReplyTo},
		Ticket:  DeliveryTicket{ID: out.Ticket.ID, Number: out.Ticket.Number, Subject: out.Ticket.Subject, Status: string(out.Ticket.Status)},
		Contact: DeliveryCont{ID: out.Contact.ID, Number: out.Contact.Number, Name: out.Contact.Name, Identities: out.Contact.Identities},
		To:      out.To,
	}
	for _, att := range m.Attachments {
		data, err := out.Attachment(ctx, att)
		if err != nil {
			return channel.Sent{}, err
		}
		d.Message.Attachments = append(d.Message.Attachments, Attachment{Filename: att.Filename, ContentType: att.ContentType,
			Size: att.Size, Data: base64.StdEncoding.EncodeToString(data)})
	}
	body, err := json.Marshal(d)
	if err != nil {
		return channel.Sent{}, channel.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("webhook request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Loket")
	req.Header.Set("Idempotency-Key", out.IdempotencyKey)
	req.Header.Set(SignatureHeader, Sign(out.Channel.Secrets["secret"], body))
	resp, err := a.Client.Do(req)
	if err != nil {
		return channel.Sent{}, fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return channel.Sent{}, fmt.Errorf("webhook answered %s: %s", resp.Status, strings.TrimSpace(string(answer[:min(len(answer), 200)])))
	}
	var ack struct {
		ExternalID string `json:"external_id"`
	}
	json.Unmarshal(answer, &ack)
	return channel.Sent{ExternalID: ack.ExternalID, Status: domain.DeliveryDelivered}, nil
}

// Sign returns the signature header value for body: "sha256=" and the hex
// HMAC-SHA256 under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is body's signature under secret,
// comparing in constant time.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}
