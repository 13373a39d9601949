// Package google is the review site "google_reviews": a location's reviews
// on Google (Maps and Search), read and answered through the Google
// Business Profile API (mybusiness.googleapis.com/v4) with net/http. It
// signs in with OAuth 2.0: a refresh token the business granted once,
// exchanged at Google's token endpoint for access tokens, which are cached
// until shortly before they expire.
//
// It lists a location's reviews by update time, so an edited review is
// seen again, and posts the business's reply to a review; Google keeps one
// reply per review, so a second reply replaces the first. It does not
// delete replies, report reviews or read other locations than the
// channel's. Google names no reviewer by id, so each review's author is a
// contact of their own (see review.Adapter.Parse).
package google

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/review"
	"loket.dev/loket/internal/domain"
)

// Kind is the channel kind this package serves.
const Kind = "google_reviews"

// Google's addresses, unless Config names others (tests).
const (
	DefaultAPIBaseURL = "https://mybusiness.googleapis.com"
	DefaultTokenURL   = "https://oauth2.googleapis.com/token"
)

// MaxReply is the longest reply Google takes (ReviewReply.comment).
const MaxReply = 4096

// PageSize is how many reviews one poll reads; Google allows 50 at most.
const PageSize = 50

// Config wires the site.
type Config struct {
	// Client calls Google; one with review.CallTimeout when nil, so a
	// hung connection cannot stall the channel's polling.
	Client *http.Client
	// APIBaseURL and TokenURL replace Google's addresses (tests).
	APIBaseURL string
	TokenURL   string
	Now        func() time.Time
	Log        *slog.Logger
}

// Site speaks the Business Profile API; it implements review.Site.
type Site struct {
	api      review.API
	base     string
	tokenURL string
	now      func() time.Time
}

// New returns the google_reviews channel adapter.
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
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Site{
		api:      review.API{Name: "Google", Client: cfg.Client, Tokens: review.NewTokens(cfg.Now)},
		base:     strings.TrimRight(cfg.APIBaseURL, "/"),
		tokenURL: cfg.TokenURL,
		now:      cfg.Now,
	}
}

// Kind implements review.Site.
func (*Site) Kind() string { return Kind }

// Identity implements review.Site.
func (*Site) Identity() domain.IdentityKind { return domain.IdentityGoogleReviewer }

// Secrets implements review.Site: the OAuth client and the refresh token.
func (*Site) Secrets() []string { return []string{"client_id", "client_secret", "refresh_token"} }

// Traits implements review.Site.
func (*Site) Traits() review.Traits {
	return review.Traits{Name: "Google", Order: review.ByUpdated, MaxLength: MaxReply}
}

// Settings are a google_reviews channel's public settings.
type Settings struct {
	review.Settings
	// AccountID and LocationID name the location whose reviews the
	// channel reads: accounts/{account_id}/locations/{location_id}.
	AccountID  string `json:"account_id"`
	LocationID string `json:"location_id"`
	// ReviewsURL is where anyone sees the location's reviews on Google
	// (its Maps link); each review links there, as Google gives no link
	// to a single review.
	ReviewsURL string `json:"reviews_url,omitempty"`
}

var idPattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

func parseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return s, domain.Invalid("invalid_settings", "google_reviews settings: "+err.Error())
	}
	// An admin may paste the resource names as Google writes them.
	s.AccountID = strings.TrimPrefix(strings.TrimSpace(s.AccountID), "accounts/")
	s.LocationID = strings.TrimPrefix(strings.TrimSpace(s.LocationID), "locations/")
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
	if !idPattern.MatchString(s.AccountID) || !idPattern.MatchString(s.LocationID) {
		return domain.Invalid("invalid_settings", "account_id and location_id must be the location's ids in the Business Profile API, such as 1234567890 (from accounts/1234567890/locations/…)")
	}
	if s.ReviewsURL != "" {
		if u, err := url.Parse(s.ReviewsURL); err != nil || u.Scheme != "https" || u.Host == "" || len(s.ReviewsURL) > 2048 {
			return domain.Invalid("invalid_settings", "reviews_url must be an https link to the location on Google, such as https://maps.app.goo.gl/…")
		}
	}
	for _, k := range []string{"client_id", "client_secret", "refresh_token"} {
		if v := secrets[k]; strings.TrimSpace(v) == "" || len(v) > 2048 {
			return domain.Invalid("invalid_settings", k+" is required: the OAuth client's id and secret from the Google Cloud console, and the refresh token the business granted")
		}
	}
	return nil
}

func (s *Site) token(ch *domain.Channel) review.TokenFunc {
	return func(ctx context.Context) (review.Token, error) {
		form := url.Values{
			"grant_type":    {"refresh_token"},
			"client_id":     {ch.Secrets["client_id"]},
			"client_secret": {ch.Secrets["client_secret"]},
			"refresh_token": {ch.Secrets["refresh_token"]},
		}
		req, err := http.NewRequestWithContext(ctx, "POST", s.tokenURL, strings.NewReader(form.Encode()))
		if err != nil {
			return review.Token{}, fmt.Errorf("sign in to Google: %w", err)
		}
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
	key := review.TokenKey(ch, s.Secrets()...)
	return s.api.Call(ctx, key, s.token(ch), func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(raw))
		if err == nil && body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}, out)
}

func (s *Site) location(ch *domain.Channel) (Settings, string, error) {
	set, err := parseSettings(ch.Settings)
	if err != nil {
		return set, "", err
	}
	return set, "/v4/accounts/" + url.PathEscape(set.AccountID) + "/locations/" + url.PathEscape(set.LocationID), nil
}

// Fetch implements review.Site: accounts.locations.reviews.list, newest
// update first, 50 a page.
func (s *Site) Fetch(ctx context.Context, ch *domain.Channel, page string) ([]review.Review, string, error) {
	set, loc, err := s.location(ch)
	if err != nil {
		return nil, "", err
	}
	q := url.Values{"pageSize": {fmt.Sprint(PageSize)}, "orderBy": {"updateTime desc"}}
	if page != "" {
		q.Set("pageToken", page)
	}
	var raw json.RawMessage
	if err := s.call(ctx, ch, "GET", loc+"/reviews?"+q.Encode(), nil, &raw); err != nil {
		return nil, "", err
	}
	return parsePage(raw, set.ReviewsURL)
}

// Reply implements review.Site: accounts.locations.reviews.updateReply,
// which creates the reply or replaces the one there.
func (s *Site) Reply(ctx context.Context, ch *domain.Channel, reviewID, text string) (string, error) {
	_, loc, err := s.location(ch)
	if err != nil {
		return "", err
	}
	// The answer is the reply itself (comment, updateTime), with no id:
	// the adapter names the sent message.
	if err := s.call(ctx, ch, "PUT", loc+"/reviews/"+url.PathEscape(reviewID)+"/reply", map[string]string{"comment": text}, nil); err != nil {
		return "", err
	}
	return "", nil
}
