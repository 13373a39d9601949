package sms

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Kind is the channel kind's name.
const Kind = "sms"

// Providers.
const (
	ProviderTwilio = "twilio"
	ProviderCM     = "cm"
)

// Secret settings keys: Twilio's auth token, CM's product token and the
// token CM's webhook address carries.
const (
	SecretAuthToken    = "auth_token"
	SecretProductToken = "product_token"
	SecretWebhookToken = "webhook_token"
)

// Default provider API addresses.
const (
	DefaultTwilioBaseURL = "https://api.twilio.com"
	DefaultCMBaseURL     = "https://gw.messaging.cm.com"
)

// MaxLength is the longest text a reply may have: Twilio's limit for a
// concatenated SMS.
const MaxLength = 1600

// maxMedia caps one downloaded MMS file; Twilio accepts at most 5 MB of
// media per message.
const maxMedia = 10 << 20

// Settings are an SMS channel's public settings. The secrets are Twilio's
// auth_token, or CM's product_token and webhook_token.
type Settings struct {
	// Provider is "twilio" or "cm".
	Provider string `json:"provider"`
	// From is the sender: an E.164 number or an alphanumeric sender id
	// (which customers cannot answer).
	From string `json:"from,omitempty"`
	// AccountSID is the Twilio account (AC…).
	AccountSID string `json:"account_sid,omitempty"`
	// MessagingServiceSID sends through a Twilio Messaging Service (its
	// sender pool) instead of From.
	MessagingServiceSID string `json:"messaging_service_sid,omitempty"`
	// APIBaseURL is the provider's API address; the provider's own when
	// empty (DefaultTwilioBaseURL, DefaultCMBaseURL).
	APIBaseURL string `json:"api_base_url,omitempty"`
	// Bot holds the FAQ bot's settings, which every channel kind shares;
	// the core checks them.
	Bot json.RawMessage `json:"bot,omitempty"`
}

// Config is what the adapter needs from the server.
type Config struct {
	// Client calls the providers; a client with a 30-second timeout when
	// nil.
	Client *http.Client
	// BaseURL returns Loket's public URL, from which Twilio's status
	// callback address is made.
	BaseURL func() string
}

// Adapter is the SMS channel kind.
type Adapter struct {
	client  *http.Client
	baseURL func() string
}

// New returns the SMS adapter.
func New(cfg Config) *Adapter {
	a := &Adapter{client: cfg.Client, baseURL: cfg.BaseURL}
	if a.client == nil {
		a.client = &http.Client{Timeout: 30 * time.Second}
	}
	if a.baseURL == nil {
		a.baseURL = func() string { return "" }
	}
	return a
}

// provider is what the adapter asks of an SMS provider.
type provider interface {
	// send delivers text to an E.164 number.
	send(ctx context.Context, to, text, key string) (channel.Sent, error)
	// check signs in without texting anyone.
	check(ctx context.Context) []channel.Check
	// fetch downloads what an inbound message only refers to.
	fetch(ctx context.Context, in *channel.Inbound) error
}

// providerOf returns the provider a channel is set up with.
func (a *Adapter) providerOf(ch *domain.Channel) (provider, *Settings, error) {
	s, err := settingsOf(ch)
	if err != nil {
		return nil, nil, err
	}
	switch s.Provider {
	case ProviderTwilio:
		return &twilio{a: a, ch: ch, s: s}, s, nil
	case ProviderCM:
		return &cm{a: a, ch: ch, s: s}, s, nil
	}
	return nil, nil, domain.Invalid("invalid_settings", fmt.Sprintf("sms channel %d has no provider %q", ch.ID, s.Provider))
}

// settingsOf reads a saved channel's settings, with the defaults filled in.
func settingsOf(ch *domain.Channel) (*Settings, error) {
	var s Settings
	if err := json.Unmarshal(ch.Settings, &s); err != nil {
		return nil, domain.Invalid("invalid_settings", fmt.Sprintf("sms channel %d settings: %v", ch.ID, err))
	}
	if s.APIBaseURL == "" {
		s.APIBaseURL = DefaultTwilioBaseURL
		if s.Provider == ProviderCM {
			s.APIBaseURL = DefaultCMBaseURL
		}
	}
	s.APIBaseURL = strings.TrimRight(s.APIBaseURL, "/")
	return &s, nil
}

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter.
func (*Adapter) Secrets() []string {
	return []string{SecretAuthToken, SecretProductToken, SecretWebhookToken}
}

// Capabilities implements channel.Describer: plain text in segments to
// phone numbers. Quick replies become a numbered list in the text.
func (*Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{Segments: true, MaxLength: MaxLength, Identities: []domain.IdentityKind{domain.IdentityPhone}}
}

// WebhookPath implements channel.Webhooker: the address to paste at
// Twilio ("A message comes in") or at CM (with ?token=).
func (*Adapter) WebhookPath() string { return "webhook" }

var (
	twilioAccountSID = regexp.MustCompile(`^AC[0-9a-zA-Z]{2,62}$`)
	twilioServiceSID = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	alphanumericFrom = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
	e164             = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	cmProductToken   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// Validate implements channel.Adapter.
func (*Adapter) Validate(raw json.RawMessage, secrets map[string]string) error {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return domain.Invalid("invalid_settings", "sms channel settings: "+err.Error()+
			"; allowed: provider, from, account_sid, messaging_service_sid, api_base_url, auth_token (Twilio), product_token, webhook_token (CM), bot")
	}
	if err := validFrom(s.From); err != nil {
		return err
	}
	if err := validBaseURL(s.APIBaseURL); err != nil {
		return err
	}
	switch s.Provider {
	case ProviderTwilio:
		if !twilioAccountSID.MatchString(s.AccountSID) {
			return domain.Invalid("invalid_account_sid", "account_sid must be your Twilio Account SID, AC followed by 32 characters (Twilio Console, Account Info)")
		}
		if secrets[SecretAuthToken] == "" {
			return domain.Invalid("missing_auth_token", "auth_token is required: the Auth Token next to the Account SID in the Twilio Console")
		}
		if s.MessagingServiceSID != "" && !twilioServiceSID.MatchString(s.MessagingServiceSID) {
			return domain.Invalid("invalid_messaging_service_sid", "messaging_service_sid must be MG followed by 32 hexadecimal characters, or left out to send from \"from\"")
		}
		if s.From == "" && s.MessagingServiceSID == "" {
			return domain.Invalid("missing_from", "set \"from\" (the Twilio number, such as +3197010203040) or messaging_service_sid")
		}
	case ProviderCM:
		if s.From == "" {
			return domain.Invalid("missing_from", "\"from\" is required: your CM number (such as +3197010203040) or an alphanumeric sender of up to 11 characters")
		}
		if !cmProductToken.MatchString(secrets[SecretProductToken]) {
			return domain.Invalid("invalid_product_token", "product_token must be your CM product token, a UUID such as 00000000-0000-0000-0000-000000000000 (Channels app, Gateway)")
		}
		if len(secrets[SecretWebhookToken]) < 24 {
			return domain.Invalid("invalid_webhook_token", "webhook_token must be a random secret of at least 24 characters; it goes into the webhook address you give CM")
		}
		if s.AccountSID != "" || s.MessagingServiceSID != "" {
			return domain.Invalid("invalid_settings", "account_sid and messaging_service_sid are Twilio's; remove them from a CM channel")
		}
	default:
		return domain.Invalid("invalid_provider", fmt.Sprintf("provider must be %q or %q, not %q", ProviderTwilio, ProviderCM, s.Provider))
	}
	return nil
}

// validFrom accepts an E.164 number or an alphanumeric sender id (or a
// short code).
func validFrom(from string) error {
	if from == "" || e164.MatchString(from) || alphanumericFrom.MatchString(from) {
		return nil
	}
	return domain.Invalid("invalid_from", fmt.Sprintf("from %q must be an E.164 number such as +3197010203040 or an alphanumeric sender of 1 to 11 letters, digits and spaces", from))
}

func validBaseURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return domain.Invalid("invalid_api_base_url", "api_base_url must be an https:// address without a query, or left out for the provider's own")
	}
	return nil
}

// Send implements channel.Adapter.
func (a *Adapter) Send(ctx context.Context, out *channel.Outbound) (channel.Sent, error) {
	p, _, err := a.providerOf(out.Channel)
	if err != nil {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send sms message %d: %w", out.Message.ID, err))
	}
	if out.To == nil || out.To.Kind != domain.IdentityPhone {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send sms message %d: the contact has no phone number", out.Message.ID))
	}
	text := withQuickReplies(out.Message.Text, channel.QuickReplies(out.Message))
	if strings.TrimSpace(text) == "" {
		return channel.Sent{}, channel.Permanent(fmt.Errorf("send sms message %d: an SMS needs text", out.Message.ID))
	}
	sent, err := p.send(ctx, out.To.Value, text, out.IdempotencyKey)
	if err != nil {
		return channel.Sent{}, fmt.Errorf("send sms message %d: %w", out.Message.ID, err)
	}
	return sent, nil
}

// withQuickReplies appends the choices as a numbered list, unless the text
// already lists them.
func withQuickReplies(text string, choices []channel.QuickReply) string {
	if len(choices) == 0 {
		return text
	}
	lines := make([]string, len(choices))
	listed := true
	for i, c := range choices {
		lines[i] = fmt.Sprintf("%d. %s", i+1, c.Label)
		listed = listed && strings.Contains(text, lines[i])
	}
	if listed {
		return text
	}
	return strings.TrimRight(text, "\n") + "\n\n" + strings.Join(lines, "\n")
}

// Check implements channel.Checker.
func (a *Adapter) Check(ctx context.Context, ch *domain.Channel) []channel.Check {
	p, _, err := a.providerOf(ch)
	if err != nil {
		return []channel.Check{{Name: "settings", Detail: err.Error()}}
	}
	return p.check(ctx)
}

// Fetch implements channel.Fetcher: MMS media are downloaded before the
// message is stored.
func (a *Adapter) Fetch(ctx context.Context, ch *domain.Channel, in *channel.Inbound) error {
	p, _, err := a.providerOf(ch)
	if err != nil {
		return err
	}
	return p.fetch(ctx, in)
}
