package meta

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// The channel kinds this package serves.
const (
	KindMessenger = "messenger"
	KindInstagram = "instagram"
)

// Defaults for a channel's settings and the adapter's limits.
const (
	DefaultBaseURL    = "https://graph.facebook.com"
	DefaultAPIVersion = "v25.0"
	// DefaultMaxMedia is the largest attachment downloaded: Meta's own
	// limit for attachments, which is also the desk's.
	DefaultMaxMedia   = 25 << 20
	DefaultProfileTTL = 24 * time.Hour
)

// Config is what both kinds' adapters need. Zero values take defaults.
type Config struct {
	// Client calls the Graph API and downloads media; nil: a client that
	// gives up after 30 seconds.
	Client *http.Client
	// Log records profile lookups that failed, which do not fail a
	// message; nil: discarded.
	Log *slog.Logger
	// MaxMedia caps one downloaded attachment in bytes.
	MaxMedia int64
	// ProfileTTL is how long a sender's name and language are kept before
	// they are asked again; a failed lookup is retried after a tenth of it.
	ProfileTTL time.Duration
	// Now is the clock of the profile cache; nil: time.Now.
	Now func() time.Time
}

// platform is what differs between Messenger and Instagram.
type platform struct {
	kind     string
	title    string // the kind's name for people
	object   string // the webhook payload's "object"
	identity domain.IdentityKind
	// maxLength is the longest text Meta accepts in one message.
	maxLength int
	// profileFields are the User Profile API fields asked for a sender.
	profileFields string
}

var (
	messenger = platform{kind: KindMessenger, title: "Messenger", object: "page", identity: domain.IdentityMessenger, maxLength: 2000,
		profileFields: "first_name,last_name,locale"}
	instagram = platform{kind: KindInstagram, title: "Instagram", object: "instagram", identity: domain.IdentityInstagram, maxLength: 1000,
		profileFields: "name,username"}
)

// Adapter serves one of the two kinds. It implements channel.Adapter,
// Parser, Router, Webhooker, Describer, Fetcher, Checker, Documenter and
// Moderator.
type Adapter struct {
	p        platform
	client   *http.Client
	log      *slog.Logger
	maxMedia int64
	ttl      time.Duration
	now      func() time.Time

	mu       sync.Mutex
	profiles map[profileKey]cachedProfile
	posts    map[profileKey]cachedPost
}

var _ interface {
	channel.Adapter
	channel.Parser
	channel.Router
	channel.Webhooker
	channel.Describer
	channel.Fetcher
	channel.Checker
	channel.Documenter
	channel.Moderator
} = (*Adapter)(nil)

// Messenger returns the adapter for Facebook Page messages.
func Messenger(cfg Config) *Adapter { return newAdapter(messenger, cfg) }

// Instagram returns the adapter for Instagram direct messages.
func Instagram(cfg Config) *Adapter { return newAdapter(instagram, cfg) }

func newAdapter(p platform, cfg Config) *Adapter {
	a := &Adapter{p: p, client: cfg.Client, log: cfg.Log, maxMedia: cfg.MaxMedia, ttl: cfg.ProfileTTL, now: cfg.Now,
		profiles: map[profileKey]cachedProfile{}, posts: map[profileKey]cachedPost{}}
	if a.client == nil {
		a.client = &http.Client{Timeout: 30 * time.Second}
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.maxMedia <= 0 {
		a.maxMedia = DefaultMaxMedia
	}
	if a.ttl <= 0 {
		a.ttl = DefaultProfileTTL
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Kind implements channel.Adapter.
func (a *Adapter) Kind() string { return a.p.kind }

// Secret settings of a channel.
const (
	SecretPageAccessToken = "page_access_token"
	SecretAppSecret       = "app_secret"
	SecretVerifyToken     = "verify_token"
)

// Secrets implements channel.Adapter: the Page access token that sends
// and reads profiles, the app secret that signs webhooks, and the token
// the admin typed at Meta for the handshake.
func (*Adapter) Secrets() []string {
	return []string{SecretPageAccessToken, SecretAppSecret, SecretVerifyToken}
}

// Capabilities implements channel.Describer. Both kinds answer only
// within 24 hours of the customer's last message (no message tags), show
// up to 13 quick replies and report deliveries and reads. Both carry
// public comments, answered in public or once privately, and hidden,
// shown again or deleted by the team. A Messenger channel also reaches
// Facebook commenters (IdentityFacebook), publicly only: their Messenger
// id is learnt from a private reply.
func (a *Adapter) Capabilities() channel.Capabilities {
	ids := []domain.IdentityKind{a.p.identity}
	if a.p.kind == KindMessenger {
		ids = append(ids, domain.IdentityFacebook)
	}
	return channel.Capabilities{Buttons: true, SendWindowSeconds: 24 * 60 * 60, ReadReceipts: true,
		MaxLength: a.p.maxLength, Attachments: true, Identities: ids,
		Public: true, PrivateReplies: true,
		Moderation: []domain.Moderation{domain.ModerationHide, domain.ModerationUnhide, domain.ModerationDelete}}
}

// Settings are a channel's public settings.
type Settings struct {
	// PageID is the Facebook Page the channel speaks for; for Instagram,
	// the Page linked to the Instagram account, which sends its messages.
	PageID string `json:"page_id"`
	// InstagramAccountID is the Instagram professional account's id, as
	// webhooks name it (entry[].id); Instagram channels only.
	InstagramAccountID string `json:"instagram_account_id,omitempty"`
	APIBaseURL         string `json:"api_base_url,omitempty"`
	APIVersion         string `json:"api_version,omitempty"`
}

var (
	graphID      = regexp.MustCompile(`^[0-9]{1,32}$`)
	graphVersion = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,2}$`)
)

// settings decodes a channel's settings with defaults filled in.
func (a *Adapter) settings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		allowed := "page_id, "
		if a.p.kind == KindInstagram {
			allowed += "instagram_account_id, "
		}
		return s, domain.Invalid("invalid_settings", fmt.Sprintf("%s channel settings: %v; allowed: %sapi_base_url, api_version and the secrets %s",
			a.p.kind, err, allowed, strings.Join(a.Secrets(), ", ")))
	}
	if s.APIBaseURL == "" {
		s.APIBaseURL = DefaultBaseURL
	}
	s.APIBaseURL = strings.TrimRight(s.APIBaseURL, "/")
	if s.APIVersion == "" {
		s.APIVersion = DefaultAPIVersion
	}
	return s, nil
}

// account is the id webhooks of the channel are addressed to: the Page,
// or the Instagram account.
func (a *Adapter) account(s Settings) string {
	if a.p.kind == KindInstagram {
		return s.InstagramAccountID
	}
	return s.PageID
}

// Validate implements channel.Adapter.
func (a *Adapter) Validate(raw json.RawMessage, secrets map[string]string) error {
	s, err := a.settings(raw)
	if err != nil {
		return err
	}
	if !graphID.MatchString(s.PageID) {
		return domain.Invalid("invalid_page_id", "page_id must be the Facebook Page's numeric id (Page settings → About, or Meta Business Suite)")
	}
	switch {
	case a.p.kind == KindInstagram && !graphID.MatchString(s.InstagramAccountID):
		return domain.Invalid("invalid_instagram_account_id", "instagram_account_id must be the Instagram professional account's numeric id, as Meta's webhooks name it")
	case a.p.kind == KindMessenger && s.InstagramAccountID != "":
		return domain.Invalid("invalid_settings", "instagram_account_id belongs to instagram channels; a messenger channel has only a page_id")
	}
	if u, err := url.Parse(s.APIBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return domain.Invalid("invalid_api_base_url", "api_base_url must be an http:// or https:// URL such as "+DefaultBaseURL)
	}
	if !graphVersion.MatchString(s.APIVersion) {
		return domain.Invalid("invalid_api_version", fmt.Sprintf("api_version must be a Graph API version such as %q", DefaultAPIVersion))
	}
	for _, r := range []struct{ name, code, hint string }{
		{SecretPageAccessToken, "missing_page_access_token", "the Page access token from the app's Messenger settings, which sends replies"},
		{SecretAppSecret, "missing_app_secret", "the app secret (App settings → Basic), which signs Meta's webhooks"},
		{SecretVerifyToken, "missing_verify_token", "a verify token of your choice, which you also type at Meta when you add the webhook"},
	} {
		if strings.TrimSpace(secrets[r.name]) == "" {
			return domain.Invalid(r.code, fmt.Sprintf("%s is required: %s", r.name, r.hint))
		}
	}
	return nil
}
