package x

import (
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

// Kind is the channel kind this package serves.
const Kind = "x"

// Defaults and limits of a channel's settings.
const (
	DefaultBaseURL      = "https://api.x.com"
	DefaultPollInterval = 60 * time.Second
	// MinPollInterval keeps a channel within X's request limits: the
	// mention timeline and direct message lookup each allow only a few
	// requests per 15 minutes on the smaller tiers.
	MinPollInterval = 15 * time.Second
	// MaxTweetLength is the longest public reply, in characters.
	MaxTweetLength = 280
	// MaxDMLength is the longest direct message X accepts.
	MaxDMLength = 10000
	// DefaultMaxPages caps the pages of 100 read per stream in one poll;
	// a longer backlog continues at the next poll from where this one
	// stopped.
	DefaultMaxPages = 5
)

// Secret settings of a channel: the app's consumer key and secret (X's
// "API key and secret") and the account's access token and secret.
const (
	SecretConsumerKey       = "consumer_key"
	SecretConsumerSecret    = "consumer_secret"
	SecretAccessToken       = "access_token"
	SecretAccessTokenSecret = "access_token_secret"
)

// Config is what the adapter needs; zero values take defaults.
type Config struct {
	// Client calls X; nil: a client that gives up after 30 seconds.
	Client *http.Client
	// Now is the clock that signs requests, reads rate-limit resets and
	// marks a new channel's start; nil: time.Now.
	Now func() time.Time
	// MaxPages caps the pages read per stream in one poll.
	MaxPages int
	// Nonce makes each request's OAuth nonce; nil: 16 random bytes.
	Nonce func() string
	// Every, when set, replaces every channel's poll interval, so that
	// tests poll without waiting.
	Every time.Duration
}

// Adapter serves the "x" kind. It implements channel.Adapter, Poller
// (and so Parser), Describer, Moderator and Checker.
type Adapter struct {
	client   *http.Client
	now      func() time.Time
	maxPages int
	nonce    func() string
	every    time.Duration
}

var _ interface {
	channel.Adapter
	channel.Poller
	channel.Describer
	channel.Moderator
	channel.Checker
} = (*Adapter)(nil)

// New returns the adapter.
func New(cfg Config) *Adapter {
	a := &Adapter{client: cfg.Client, now: cfg.Now, maxPages: cfg.MaxPages, nonce: cfg.Nonce, every: cfg.Every}
	if a.client == nil {
		a.client = &http.Client{Timeout: 30 * time.Second}
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxPages <= 0 {
		a.maxPages = DefaultMaxPages
	}
	if a.nonce == nil {
		a.nonce = newNonce
	}
	return a
}

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter.
func (*Adapter) Secrets() []string {
	return []string{SecretConsumerKey, SecretConsumerSecret, SecretAccessToken, SecretAccessTokenSecret}
}

// Capabilities implements channel.Describer: mentions are public and a
// public reply is at most 280 characters; a mention can be answered by
// direct message; replies to the account's posts can be hidden (X lets
// no one delete another's post).
func (*Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{Public: true, PrivateReplies: true, MaxLength: MaxTweetLength,
		Moderation: []domain.Moderation{domain.ModerationHide, domain.ModerationUnhide},
		Identities: []domain.IdentityKind{domain.IdentityX}}
}

// Settings are a channel's public settings.
type Settings struct {
	// UserID is the X account's numeric id, whose mentions and direct
	// messages the channel reads.
	UserID string `json:"user_id"`
	// Handle is the account's @name, without the "@".
	Handle     string `json:"handle"`
	APIBaseURL string `json:"api_base_url,omitempty"`
	// PollIntervalSeconds is how often X is read; 60 when zero, at least 15.
	PollIntervalSeconds int `json:"poll_interval_seconds,omitempty"`
}

var (
	numericID = regexp.MustCompile(`^[0-9]{1,19}$`)
	handleRE  = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)
)

// settings decodes a channel's settings with defaults filled in.
func settings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return s, domain.Invalid("invalid_settings", fmt.Sprintf("x channel settings: %v; allowed: user_id, handle, api_base_url, poll_interval_seconds and the secrets %s",
			err, strings.Join((*Adapter)(nil).Secrets(), ", ")))
	}
	s.Handle = strings.TrimPrefix(strings.TrimSpace(s.Handle), "@")
	s.APIBaseURL = strings.TrimRight(s.APIBaseURL, "/")
	if s.APIBaseURL == "" {
		s.APIBaseURL = DefaultBaseURL
	}
	return s, nil
}

// Validate implements channel.Adapter.
func (*Adapter) Validate(raw json.RawMessage, secrets map[string]string) error {
	s, err := settings(raw)
	if err != nil {
		return err
	}
	if !numericID.MatchString(s.UserID) {
		return domain.Invalid("invalid_user_id", "user_id must be the X account's numeric id (the developer portal shows it with the access token, and GET /2/users/me returns it)")
	}
	if !handleRE.MatchString(s.Handle) {
		return domain.Invalid("invalid_handle", "handle must be the account's @name: 1 to 15 letters, digits or underscores")
	}
	if u, err := url.Parse(s.APIBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Path != "" {
		return domain.Invalid("invalid_api_base_url", "api_base_url must be an http:// or https:// address without a path, such as "+DefaultBaseURL)
	}
	if s.PollIntervalSeconds != 0 && time.Duration(s.PollIntervalSeconds)*time.Second < MinPollInterval {
		return domain.Invalid("invalid_poll_interval", fmt.Sprintf("poll_interval_seconds must be at least %d: X allows only a few reads per 15 minutes", int(MinPollInterval/time.Second)))
	}
	for _, r := range []struct{ name, hint string }{
		{SecretConsumerKey, "the app's API key (Keys and tokens → Consumer keys)"},
		{SecretConsumerSecret, "the app's API key secret"},
		{SecretAccessToken, "the account's access token, made with Read, write and Direct Messages permission"},
		{SecretAccessTokenSecret, "the account's access token secret"},
	} {
		if strings.TrimSpace(secrets[r.name]) == "" {
			return domain.Invalid("missing_"+r.name, fmt.Sprintf("%s is required: %s", r.name, r.hint))
		}
	}
	return nil
}

// PollInterval implements channel.Poller.
func (a *Adapter) PollInterval(ch *domain.Channel) time.Duration {
	if a.every > 0 {
		return a.every
	}
	s, err := settings(ch.Settings)
	if err != nil || s.PollIntervalSeconds == 0 {
		return DefaultPollInterval
	}
	return max(time.Duration(s.PollIntervalSeconds)*time.Second, MinPollInterval)
}
