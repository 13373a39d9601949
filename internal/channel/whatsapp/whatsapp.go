// Package whatsapp is the WhatsApp Cloud API channel: Meta posts customers'
// messages and the statuses of our replies to a signed webhook, and replies
// go out through the Graph API of the business phone number (text, approved
// templates, reply buttons and lists, media).
//
// It speaks the Cloud API only, with net/http and encoding/json: not the
// on-premises API, not the business management API beyond listing the
// account's message templates, and it does not register phone numbers or
// subscribe the app to the account; the admin does that at Meta.
package whatsapp

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Kind is the channel kind this package serves.
const Kind = "whatsapp"

// Secret setting names.
const (
	SecretAccessToken = "access_token" // a system user's token with whatsapp_business_messaging
	SecretAppSecret   = "app_secret"   // signs the webhook (X-Hub-Signature-256)
	SecretVerifyToken = "verify_token" // the admin's choice, repeated in the verification handshake
)

// Defaults for the Graph API.
const (
	DefaultBaseURL    = "https://graph.facebook.com"
	DefaultAPIVersion = "v21.0"
)

// Settings are the public settings of a WhatsApp channel.
type Settings struct {
	// PhoneNumberID is the business phone number's id at Meta (not the
	// number itself): replies are sent from it and only its webhook
	// payloads are taken.
	PhoneNumberID string `json:"phone_number_id"`
	// WABAID is the WhatsApp Business Account that owns the number; its
	// message templates are listed.
	WABAID string `json:"waba_id"`
	// APIBaseURL is the Graph API's address; DefaultBaseURL when empty.
	APIBaseURL string `json:"api_base_url,omitempty"`
	// APIVersion is the Graph API version, such as "v21.0";
	// DefaultAPIVersion when empty.
	APIVersion string `json:"api_version,omitempty"`
}

// ParseSettings decodes a channel's settings and fills in the defaults.
func ParseSettings(raw json.RawMessage) (*Settings, error) {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return nil, domain.Invalid("invalid_settings", "whatsapp channel settings: "+err.Error()+
			"; allowed: phone_number_id, waba_id, api_base_url, api_version, access_token, app_secret, verify_token")
	}
	if s.APIBaseURL == "" {
		s.APIBaseURL = DefaultBaseURL
	}
	s.APIBaseURL = strings.TrimRight(s.APIBaseURL, "/")
	if s.APIVersion == "" {
		s.APIVersion = DefaultAPIVersion
	}
	return &s, nil
}

// Graph ids are decimal numbers; checking them keeps them from reaching
// into other paths of the API.
var (
	graphID    = regexp.MustCompile(`^[0-9]{1,32}$`)
	apiVersion = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,3}$`)
)

// Config wires an Adapter.
type Config struct {
	// Client calls the Graph API; nil: one that gives up after 60 seconds.
	Client *http.Client
	// Now is the clock of the template cache; nil: the real one.
	Now func() time.Time
}

// Adapter serves WhatsApp channels. It implements channel.Adapter, Parser,
// Router, Webhooker, Describer, Fetcher, Templater, Checker and Documenter.
type Adapter struct {
	client *http.Client
	now    func() time.Time

	mu        sync.Mutex
	templates map[int64]cachedTemplates
}

var (
	_ channel.Adapter    = (*Adapter)(nil)
	_ channel.Parser     = (*Adapter)(nil)
	_ channel.Router     = (*Adapter)(nil)
	_ channel.Webhooker  = (*Adapter)(nil)
	_ channel.Describer  = (*Adapter)(nil)
	_ channel.Fetcher    = (*Adapter)(nil)
	_ channel.Templater  = (*Adapter)(nil)
	_ channel.Checker    = (*Adapter)(nil)
	_ channel.Documenter = (*Adapter)(nil)
)

// New returns an adapter.
func New(cfg Config) *Adapter {
	a := &Adapter{client: cfg.Client, now: cfg.Now, templates: map[int64]cachedTemplates{}}
	if a.client == nil {
		a.client = &http.Client{Timeout: 60 * time.Second}
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter.
func (*Adapter) Secrets() []string {
	return []string{SecretAccessToken, SecretAppSecret, SecretVerifyToken}
}

// Validate implements channel.Adapter.
func (*Adapter) Validate(raw json.RawMessage, secrets map[string]string) error {
	s, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	if !graphID.MatchString(s.PhoneNumberID) {
		return domain.Invalid("invalid_phone_number_id", "phone_number_id must be the number's id from Meta's WhatsApp API setup (digits), not the phone number")
	}
	if !graphID.MatchString(s.WABAID) {
		return domain.Invalid("invalid_waba_id", "waba_id must be the WhatsApp Business Account id from Meta's WhatsApp API setup (digits)")
	}
	if !apiVersion.MatchString(s.APIVersion) {
		return domain.Invalid("invalid_api_version", "api_version must look like "+DefaultAPIVersion)
	}
	if !safeBaseURL(s.APIBaseURL) {
		return domain.Invalid("invalid_api_base_url", "api_base_url must be an https:// URL without path or query (http:// only on this machine), such as "+DefaultBaseURL)
	}
	for _, name := range []string{SecretAccessToken, SecretAppSecret, SecretVerifyToken} {
		if strings.TrimSpace(secrets[name]) == "" {
			return domain.Invalid("missing_"+name, "a WhatsApp channel needs its "+name+secretHint[name])
		}
	}
	return nil
}

var secretHint = map[string]string{
	SecretAccessToken: ": a system user's access token with the whatsapp_business_messaging permission",
	SecretAppSecret:   ": the Meta app's secret (App settings, Basic), which signs the webhook",
	SecretVerifyToken: ": any string you choose and also enter as the webhook's Verify token at Meta",
}

// safeBaseURL reports whether u is a Graph API base a bearer token may be
// sent to: https, or http to this machine (a local stand-in for tests).
func safeBaseURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil || p.RawQuery != "" || p.Fragment != "" || (p.Path != "" && p.Path != "/") {
		return false
	}
	switch p.Scheme {
	case "https":
		return true
	case "http":
		host := p.Hostname()
		ip := net.ParseIP(host)
		return host == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return false
}

// Capabilities implements channel.Describer.
func (*Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{
		Buttons:           true,
		Templates:         true,
		SendWindowSeconds: 24 * 60 * 60,
		ReadReceipts:      true,
		MaxLength:         MaxTextLength,
		Attachments:       true,
		Identities:        []domain.IdentityKind{domain.IdentityPhone},
	}
}

// MaxTextLength is the longest text message WhatsApp takes, in characters.
const MaxTextLength = 4096

// WebhookPath implements channel.Webhooker.
func (*Adapter) WebhookPath() string { return "webhook" }
