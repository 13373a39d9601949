// Package trustpilot is the review site "trustpilot": a business unit's
// service reviews on Trustpilot, read and answered through Trustpilot's
// private Business API (api.trustpilot.com/v1/private) with net/http. It
// signs in with OAuth 2.0 at Trustpilot's token endpoint, with the
// application's API key and secret as Basic authentication and either a
// business user's login (the password grant) or, without one, the client
// credentials grant; tokens are cached until shortly before they expire
// (Trustpilot refuses clients that ask too often).
//
// It lists reviews newest first by creation time and posts the business's
// reply to a review as the channel's business user. It does not read
// product reviews, delete replies, tag, report or invite.
package trustpilot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/review"
	"loket.dev/loket/internal/domain"
)

// Kind is the channel kind this package serves.
const Kind = "trustpilot"

// Trustpilot's addresses, unless Config names others (tests).
const (
	DefaultAPIBaseURL = "https://api.trustpilot.com"
	// WebBaseURL is where reviews and reviewers' profiles are seen.
	WebBaseURL = "https://www.trustpilot.com"
	tokenPath  = "/v1/oauth/oauth-business-users-for-applications/accesstoken"
)

// PageSize is how many reviews one poll reads (Trustpilot allows 100).
const PageSize = 50

// Config wires the site.
type Config struct {
	// Client calls Trustpilot; one with review.CallTimeout when nil, so a
	// hung connection cannot stall the channel's polling.
	Client *http.Client
	// APIBaseURL replaces Trustpilot's address, the token endpoint's too
	// (tests).
	APIBaseURL string
	Now        func() time.Time
	Log        *slog.Logger
}

// Site speaks Trustpilot's Business API; it implements review.Site.
type Site struct {
	api  review.API
	base string
	now  func() time.Time
}

// New returns the trustpilot channel adapter.
func New(cfg Config) *review.Adapter {
	return review.New(NewSite(cfg), review.Config{Now: cfg.Now, Log: cfg.Log})
}

// NewSite returns the site alone.
func NewSite(cfg Config) *Site {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: review.CallTimeout}
	}
	if cfg.APIBaseURL == "" {
		cfg.APIBaseURL = DefaultAPIBaseURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Site{
		api:  review.API{Name: "Trustpilot", Client: cfg.Client, Tokens: review.NewTokens(cfg.Now)},
		base: strings.TrimRight(cfg.APIBaseURL, "/"),
		now:  cfg.Now,
	}
}

// Kind implements review.Site.
func (*Site) Kind() string { return Kind }

// Identity implements review.Site.
func (*Site) Identity() domain.IdentityKind { return domain.IdentityTrustpilotConsumer }

// Secrets implements review.Site: the application's API key and secret,
// and the business user's password for the password grant.
func (*Site) Secrets() []string { return []string{"api_key", "api_secret", "password"} }

// Traits implements review.Site. Trustpilot's documentation names no
// longest reply, so none is enforced here; a reply Trustpilot refuses
// fails with its message.
func (*Site) Traits() review.Traits {
	return review.Traits{Name: "Trustpilot", Order: review.ByCreated}
}

// Settings are a trustpilot channel's public settings.
type Settings struct {
	review.Settings
	// BusinessUnitID is the business unit whose reviews the channel reads.
	BusinessUnitID string `json:"business_unit_id"`
	// BusinessUserID is the business user replies are posted as.
	BusinessUserID string `json:"business_user_id"`
	// Username is the business user's login e-mail for the password
	// grant (with the password secret); empty: client credentials.
	Username string `json:"username,omitempty"`
}

var idPattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

func parseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return s, domain.Invalid("invalid_settings", "trustpilot settings: "+err.Error())
	}
	s.BusinessUnitID, s.BusinessUserID, s.Username = strings.TrimSpace(s.BusinessUnitID), strings.TrimSpace(s.BusinessUserID), strings.TrimSpace(s.Username)
	return s, nil
}

// Validate implements review.Site.
func (*Site) Validate(settings json.RawMessage, secrets map[string]string) error {
	s, err := parseSettings(settings)
	if err != nil {
		return err
	}
	if err := s.CheckSettings(); err != nil {
		return err
	}
	if !idPattern.MatchString(s.BusinessUnitID) {
		return domain.Invalid("invalid_settings", "business_unit_id must be the business unit's id, such as 507f191e810c19729de860ea")
	}
	if !idPattern.MatchString(s.BusinessUserID) {
		return domain.Invalid("invalid_settings", "business_user_id must be the id of the business user replies are posted as (their Trustpilot Business profile page shows it)")
	}
	for _, k := range []string{"api_key", "api_secret"} {
		if v := secrets[k]; strings.TrimSpace(v) == "" || len(v) > 1024 {
			return domain.Invalid("invalid_settings", k+" is required: the application's key and secret from Trustpilot Business, Integrations > Developers > APIs")
		}
	}
	if (s.Username == "") != (secrets["password"] == "") {
		return domain.Invalid("invalid_settings", "give both username and password (a business user's login) or neither (client credentials)")
	}
	return nil
}

func (s *Site) token(ch *domain.Channel) review.TokenFunc {
	return func(ctx context.Context) (review.Token, error) {
		set, err := parseSettings(ch.Settings)
		if err != nil {
			return review.Token{}, err
		}
		form := url.Values{"grant_type": {"client_credentials"}}
		if set.Username != "" {
			form = url.Values{"grant_type": {"password"}, "username": {set.Username}, "password": {ch.Secrets["password"]}}
		}
		req, err := http.NewRequestWithContext(ctx, "POST", s.base+tokenPath, strings.NewReader(form.Encode()))
		if err != nil {
			return review.Token{}, fmt.Errorf("sign in to Trustpilot: %w", err)
		}
		req.SetBasicAuth(ch.Secrets["api_key"], ch.Secrets["api_secret"])
		return s.api.FetchToken(req, s.now())
	}
}

func (s *Site) call(ctx context.Context, ch *domain.Channel, method, path string, body any, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	// The login is part of the credentials: a changed user gets a new token.
	set, _ := parseSettings(ch.Settings)
	key := review.TokenKey(ch, s.Secrets()...) + "/" + set.Username
	return s.api.Call(ctx, key, s.token(ch), func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(raw))
		if err == nil && body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}, out)
}

// Fetch implements review.Site: the business unit's private reviews,
// newest first, 50 a page; the page token is the page number.
func (s *Site) Fetch(ctx context.Context, ch *domain.Channel, page string) ([]review.Review, string, error) {
	set, err := parseSettings(ch.Settings)
	if err != nil {
		return nil, "", err
	}
	n := 1
	if page != "" {
		if n, err = strconv.Atoi(page); err != nil || n < 1 {
			return nil, "", domain.Invalid("invalid_cursor", fmt.Sprintf("Trustpilot page %q is not a page number", page))
		}
	}
	q := url.Values{"perPage": {strconv.Itoa(PageSize)}, "page": {strconv.Itoa(n)}, "orderBy": {"createdat.desc"}}
	var raw json.RawMessage
	if err := s.call(ctx, ch, "GET", "/v1/private/business-units/"+url.PathEscape(set.BusinessUnitID)+"/reviews?"+q.Encode(), nil, &raw); err != nil {
		return nil, "", err
	}
	reviews, more, err := parsePage(raw, PageSize)
	if err != nil || !more {
		return reviews, "", err
	}
	return reviews, strconv.Itoa(n + 1), nil
}

// Reply implements review.Site: POST /v1/private/reviews/{id}/reply as
// the channel's business user.
func (s *Site) Reply(ctx context.Context, ch *domain.Channel, reviewID, text string) (string, error) {
	set, err := parseSettings(ch.Settings)
	if err != nil {
		return "", err
	}
	body := map[string]string{"authorBusinessUserId": set.BusinessUserID, "message": text}
	if err := s.call(ctx, ch, "POST", "/v1/private/reviews/"+url.PathEscape(reviewID)+"/reply", body, nil); err != nil {
		return "", err
	}
	return "", nil
}
