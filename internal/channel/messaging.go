package channel

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"time"

	"loket.dev/loket/internal/domain"
)

// This file holds what messaging channels (WhatsApp, Telegram, SMS,
// Messenger and their kind) share beyond the basic contract: the bot's
// quick replies, templates for sending outside a send window, fetching
// what a payload only refers to, the webhook address an admin pastes at
// the provider, and customers' opt-outs.

// QuickReply is one choice offered with an outbound message, such as the
// FAQ bot's suggestions. Channels with buttons (Capabilities.Buttons) show
// them as buttons; the others as a numbered list in the text.
type QuickReply struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// QuickReplies returns the choices stored in an outbound message's meta
// ("quick_replies").
func QuickReplies(m *domain.Message) []QuickReply {
	var meta struct {
		QuickReplies []QuickReply `json:"quick_replies"`
	}
	if m == nil || len(m.Meta) == 0 || json.Unmarshal(m.Meta, &meta) != nil {
		return nil
	}
	return meta.QuickReplies
}

// QuickReplyMeta is the meta of an inbound message that answers a quick
// reply: the chosen id under "quick_reply", which the bot reads.
func QuickReplyMeta(id string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"quick_reply": id})
	return b
}

// Template is a message approved by the provider that may be sent outside
// the channel's send window (Capabilities.Templates).
type Template struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	// Body is the template's text with numbered parameters: {{1}}, {{2}}.
	Body     string `json:"body"`
	Params   int    `json:"params"`
	Category string `json:"category,omitempty"`
	Status   string `json:"status,omitempty"` // as the provider says, such as APPROVED
}

// TemplateRef names the template an outbound message is sent as, with its
// parameters; it is stored in the message's meta under "template", and the
// message's text is the template filled in, for the timeline.
type TemplateRef struct {
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Params   []string `json:"params,omitempty"`
}

// TemplateOf returns the template an outbound message is sent as, or nil
// for free text.
func TemplateOf(m *domain.Message) *TemplateRef {
	var meta struct {
		Template *TemplateRef `json:"template"`
	}
	if m == nil || len(m.Meta) == 0 || json.Unmarshal(m.Meta, &meta) != nil || meta.Template == nil || meta.Template.Name == "" {
		return nil
	}
	return meta.Template
}

var templateParam = regexp.MustCompile(`\{\{(\d+)\}\}`)

// FillTemplate puts params into a template's body in one pass: {{1}} is
// params[0]; a placeholder without a parameter stays as it is.
func FillTemplate(body string, params []string) string {
	return templateParam.ReplaceAllStringFunc(body, func(p string) string {
		n, err := strconv.Atoi(p[2 : len(p)-2])
		if err != nil || n < 1 || n > len(params) {
			return p
		}
		return params[n-1]
	})
}

// TemplateParams counts the distinct numbered parameters in a body.
func TemplateParams(body string) int {
	most := 0
	for _, m := range templateParam.FindAllStringSubmatch(body, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && n > most {
			most = n
		}
	}
	return most
}

// Templater is implemented by adapters whose channels send approved
// templates: Templates lists the channel's approved ones, from the
// provider (the adapter may cache them briefly).
type Templater interface {
	Templates(ctx context.Context, ch *domain.Channel) ([]Template, error)
}

// Fetcher is implemented by adapters whose payloads only refer to what a
// message holds: media to download (Attachment.Ref) before the provider's
// link expires, or the sender's profile (name, language). The core calls
// Fetch for each parsed message before storing it; an error keeps the
// payload as a dead letter, to be parsed and fetched again on retry.
type Fetcher interface {
	Fetch(ctx context.Context, ch *domain.Channel, in *Inbound) error
}

// Webhooker is implemented by adapters whose provider must be told where
// to post: WebhookPath is the route below the channel (such as "webhook")
// whose public address the admin pastes at the provider.
type Webhooker interface {
	WebhookPath() string
}

// Consent is a customer's wish about further messages on a channel kind,
// expressed in a message (SMS "STOP", "START").
type Consent string

// Consents. An opt-out is kept on the contact and respected by every later
// send on channels of the kind, whoever writes.
const (
	ConsentNone Consent = ""
	ConsentOut  Consent = "out"
	ConsentIn   Consent = "in"
)

// IngestFunc hands a payload that an adapter fetched itself (long polling)
// to the core, exactly like Request.Ingest does for a webhook.
type IngestFunc func(ctx context.Context, ch *domain.Channel, contentType string, body []byte) error

// ReportFunc records a channel's health for admins: nil once it works
// again, otherwise what went wrong (a refused token, an unreachable
// provider).
type ReportFunc func(ctx context.Context, channelID int64, err error)

// WindowOpen reports whether free text may still be sent at now on a
// channel with the given send window, when the customer last wrote at
// lastInbound (Unix milliseconds; zero when never).
func WindowOpen(window int64, lastInbound int64, now time.Time) bool {
	if window <= 0 {
		return true
	}
	return lastInbound > 0 && now.UnixMilli() < lastInbound+window*1000
}
