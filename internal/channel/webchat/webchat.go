// Package webchat is the website chat channel: a widget on the company's
// site lets visitors chat with the service team. Visitors are browsers
// known by an unguessable token kept in localStorage; their messages enter
// through desk.Receive like any channel's, and replies, typing and read
// receipts reach their sockets live through the realtime hub on whichever
// node they are connected to.
//
// The package owns the visitor side: sessions, identity verification,
// origins, uploads, ratings, the visitor WebSocket and the routes that
// serve them (Routes, mounted by the HTTP server under the channel). It
// never shows a visitor anything outside their own conversations.
package webchat

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/hours"
	"loket.dev/loket/internal/store"
)

// Kind is the channel kind this package serves.
const Kind = "webchat"

// SecretIdentity is the secret setting under which a site signs the user
// ids of signed-in visitors (HMAC-SHA256).
const SecretIdentity = "identity_secret"

// Settings are the public settings of a website chat channel.
type Settings struct {
	// Color is the widget's accent colour, "#rgb" or "#rrggbb".
	Color string `json:"color,omitempty"`
	Title string `json:"title,omitempty"`
	// Greeting is the first line a visitor reads, per language (en, nl, de).
	Greeting  map[string]string `json:"greeting,omitempty"`
	AvatarURL string            `json:"avatar_url,omitempty"`
	// AllowedOrigins are the sites that may embed the widget, such as
	// "https://shop.example"; "*" allows any site.
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
	// Prechat asks for a name and e-mail address before the first message.
	Prechat bool `json:"prechat,omitempty"`
	// Bot holds the FAQ bot's settings, which every channel kind shares;
	// the core checks them (see internal/bot).
	Bot json.RawMessage `json:"bot,omitempty"`
	// CallbackChannelID is the telephone (voice) channel that takes the
	// visitors' requests to be called back; zero offers no callbacks.
	CallbackChannelID int64 `json:"callback_channel_id,omitempty"`
}

// WaitEstimator tells how long a new conversation for a team is expected
// to wait for a person, and whether anyone who could take it is online.
// The routing dispatcher provides it.
type WaitEstimator interface {
	EstimatedWait(teamID int64, kind string) (wait time.Duration, staffed bool)
}

// Config wires an Adapter.
type Config struct {
	Desk  *desk.Desk
	Store *store.Store
	Blobs blob.Store
	// Relay carries events to visitors' sockets on this node.
	Relay *Relay
	// Events publishes what visitors do (typing) to agents, across nodes.
	Events domain.Publisher
	// Wait estimates queue waits; nil hides the estimate in the widget.
	Wait WaitEstimator
	// BaseURL is Loket's public URL, used in the embed snippet.
	BaseURL string
	Log     *slog.Logger
	// Now is the clock; nil is the real one.
	Now func() time.Time
	// Hours serves business hours; nil makes one of the Adapter's own
	// that hears of no changes (they reach it within hours.DefaultTTL).
	Hours *hours.Service
}

// Adapter implements channel.Adapter for website chat channels and serves
// the visitor side of the chat.
type Adapter struct {
	desk    *desk.Desk
	store   *store.Store
	blobs   blob.Store
	relay   *Relay
	events  domain.Publisher
	wait    WaitEstimator
	baseURL string
	log     *slog.Logger
	now     func() time.Time

	mu     sync.Mutex
	hours  *hours.Service
	agents agentNames
}

// New returns an adapter.
func New(cfg Config) *Adapter {
	a := &Adapter{
		desk: cfg.Desk, store: cfg.Store, blobs: cfg.Blobs, relay: cfg.Relay, events: cfg.Events, wait: cfg.Wait,
		baseURL: strings.TrimRight(cfg.BaseURL, "/"), log: cfg.Log, now: cfg.Now,
		hours: cfg.Hours,
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.hours == nil {
		a.hours = hours.New(hours.Config{Store: cfg.Store, Now: a.now})
	}
	if a.relay == nil {
		a.relay = NewRelay(cfg.Store, a.log)
	}
	if a.events == nil {
		a.events = a.relay
	}
	a.relay.adapter.Store(a)
	return a
}

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter: the identity signing secret.
func (*Adapter) Secrets() []string { return []string{SecretIdentity} }

// Capabilities implements channel.Describer: the widget shows quick
// replies as buttons, reports reading and typing, and takes files.
func (*Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{Buttons: true, ReadReceipts: true, Typing: true, Attachments: true, Identities: []domain.IdentityKind{domain.IdentityWeb}}
}

var colorPattern = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// Languages the widget speaks.
var languages = []string{"en", "nl", "de"}

// Validate implements channel.Adapter.
func (*Adapter) Validate(raw json.RawMessage, secrets map[string]string) error {
	s, err := parseSettings(raw)
	if err != nil {
		return err
	}
	bad := func(format string, args ...any) error {
		return domain.Invalid("invalid_settings", fmt.Sprintf(format, args...))
	}
	if s.Color != "" && !colorPattern.MatchString(s.Color) {
		return bad("color must be a hex colour such as #0b5fff")
	}
	if utf8.RuneCountInString(s.Title) > 60 {
		return bad("title must be at most 60 characters")
	}
	for lang, text := range s.Greeting {
		if !contains(languages, lang) {
			return bad("greeting.%s: languages are en, nl and de", lang)
		}
		if utf8.RuneCountInString(text) > 500 {
			return bad("greeting.%s must be at most 500 characters", lang)
		}
	}
	if s.AvatarURL != "" {
		u, err := url.Parse(s.AvatarURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return bad("avatar_url must be an http:// or https:// URL")
		}
	}
	for _, o := range s.AllowedOrigins {
		if o == "*" {
			continue
		}
		if _, ok := normalizeOrigin(o); !ok {
			return bad("allowed_origins: %q is not an origin; write the scheme and host only, such as https://shop.example", o)
		}
	}
	if s.CallbackChannelID < 0 {
		return bad("callback_channel_id must be the id of a voice channel, or 0 for no callbacks")
	}
	if v := secrets[SecretIdentity]; v != "" && len(v) < 16 {
		return bad("identity_secret must be at least 16 characters")
	}
	return nil
}

func parseSettings(raw json.RawMessage) (*Settings, error) {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return nil, domain.Invalid("invalid_settings", "webchat channel settings: "+err.Error()+
			"; allowed: color, title, greeting, avatar_url, allowed_origins, prechat, bot, callback_channel_id (a number), identity_secret")
	}
	return &s, nil
}

// normalizeOrigin returns origin as scheme://host[:port], lowercased, or
// false when it is not an http(s) origin without a path.
func normalizeOrigin(origin string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(origin))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Send implements channel.Adapter. The reply is already stored; visitors
// read it from their conversation, live or when they come back, so the
// delivery is making it visible: the message becomes "sent", and moves to
// delivered and read as the visitor's widget reports.
func (*Adapter) Send(_ context.Context, out *channel.Outbound) (channel.Sent, error) {
	return channel.Sent{ExternalID: outboundID(out.Message.ID), Status: domain.DeliverySent}, nil
}

// outboundID is the external id of a reply, by which read receipts find it.
func outboundID(messageID int64) string { return fmt.Sprintf("out-%d", messageID) }
