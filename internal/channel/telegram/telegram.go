// Package telegram is Loket's Telegram channel: it speaks the Telegram Bot
// API over HTTPS with net/http and encoding/json. Customers write to the
// channel's bot in private chats; their updates arrive either on a webhook
// that Loket registers with setWebhook (when Loket has a public https URL)
// or, without one, by long-polling getUpdates, so a laptop can try it. It
// sends texts with inline keyboards for the bot's quick replies, photos
// and documents, and downloads customers' media before they are stored.
//
// It does not serve group chats or channels (their messages are ignored),
// messages from other bots, payments, games or inline mode.
package telegram

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
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
const Kind = "telegram"

// DefaultAPIBaseURL is the Bot API's address unless a channel names
// another (a local Bot API server).
const DefaultAPIBaseURL = "https://api.telegram.org"

// ChannelLister lists channels of a kind with their secrets; *store.Store
// satisfies it.
type ChannelLister interface {
	Channels(ctx context.Context, kind string) ([]*domain.Channel, error)
}

// Config wires an Adapter.
type Config struct {
	// BaseURL is Loket's public URL. An https URL of a host other than a
	// loopback one is public: the adapter registers its webhook there.
	// Otherwise ("" or http://localhost:8080) it long-polls.
	BaseURL string
	// Client calls the Bot API; http.DefaultClient when nil. Its timeout,
	// if any, must exceed the long poll (about 25 seconds).
	Client *http.Client
	// Ingest hands polled updates to the core (desk.Ingest).
	Ingest channel.IngestFunc
	// Report records a channel's health (polling and webhook
	// registration failures); may be nil.
	Report channel.ReportFunc
	// Channels lists the telegram channels to poll or register.
	Channels ChannelLister
	// Locks, when set, lets one node of several look after each channel;
	// Run closes it when it ends, if it has a Close method (as
	// *store.Locker has). Nil looks after every channel (one node).
	Locks channel.Locks
	Log   *slog.Logger
	// PollTimeout is how long one getUpdates waits for news; 25 seconds
	// when zero.
	PollTimeout time.Duration
	// Backoff is the first wait after a failed poll or registration; it
	// doubles up to five minutes. One second when zero.
	Backoff time.Duration
	// RescanInterval is how often the channel list is read again besides
	// when a channel is saved; one minute when zero.
	RescanInterval time.Duration
}

// Adapter implements channel.Adapter, Parser, Router, Describer, Checker,
// Fetcher, Webhooker, Documenter and Runner for Telegram bots, and
// domain.Publisher so that a saved channel is registered or polled at
// once.
type Adapter struct {
	cfg Config

	wakeOnce sync.Once
	wake     chan struct{}
}

// New returns the Telegram adapter.
func New(cfg Config) *Adapter {
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Adapter{cfg: cfg}
}

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter: the bot's token and the webhook's
// secret token.
func (*Adapter) Secrets() []string { return []string{"bot_token", "secret_token"} }

// Capabilities implements channel.Describer.
func (*Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{Buttons: true, MaxLength: maxText, Attachments: true, Identities: []domain.IdentityKind{domain.IdentityTelegram}}
}

// WebhookPath implements channel.Webhooker.
func (*Adapter) WebhookPath() string { return "webhook" }

// Settings are the public settings of a telegram channel.
type Settings struct {
	// APIBaseURL is the Bot API's address; DefaultAPIBaseURL when empty.
	APIBaseURL string `json:"api_base_url,omitempty"`
}

func parseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return s, domain.Invalid("invalid_settings", "telegram settings: "+err.Error())
	}
	if s.APIBaseURL == "" {
		s.APIBaseURL = DefaultAPIBaseURL
	}
	s.APIBaseURL = strings.TrimRight(s.APIBaseURL, "/")
	return s, nil
}

var (
	tokenPattern  = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{1,200}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Validate implements channel.Adapter. The secret token is optional: when
// absent, the webhook's secret is derived from the bot token, so an admin
// need not invent one.
func (*Adapter) Validate(settings json.RawMessage, secrets map[string]string) error {
	s, err := parseSettings(settings)
	if err != nil {
		return err
	}
	if u, err := url.Parse(s.APIBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return domain.Invalid("invalid_settings", "api_base_url must be an http(s) URL such as "+DefaultAPIBaseURL)
	}
	if !tokenPattern.MatchString(secrets["bot_token"]) {
		return domain.Invalid("invalid_settings", "bot_token must be the token @BotFather gave, such as 123456789:AAH…")
	}
	if t, ok := secrets["secret_token"]; ok && !secretPattern.MatchString(t) {
		return domain.Invalid("invalid_settings", "secret_token must be 1 to 256 letters, digits, _ or -; leave it out to derive one from the bot token")
	}
	return nil
}

// secretToken is the secret Telegram sends with each webhook call: the
// channel's own, or one derived from the bot token. Knowing the token
// already lets anyone change the webhook, so deriving from it adds no
// weakness.
func secretToken(ch *domain.Channel) string {
	if t := ch.Secrets["secret_token"]; t != "" {
		return t
	}
	if ch.Secrets["bot_token"] == "" {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(ch.Secrets["bot_token"]))
	mac.Write([]byte("loket telegram webhook secret"))
	return hex.EncodeToString(mac.Sum(nil))
}

// public reports whether base is a URL Telegram can post to: https on a
// host that is not the local machine.
func public(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		return false
	}
	return true
}

// webhookURL is the address Telegram posts a channel's updates to.
func (a *Adapter) webhookURL(ch *domain.Channel) string {
	return strings.TrimRight(a.cfg.BaseURL, "/") + "/api/v1/telegram/" + itoa(ch.ID) + "/webhook"
}
