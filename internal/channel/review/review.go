// Package review is what every review site (Google reviews, Trustpilot, …)
// shares: a small contract for a site (Site: list reviews newest first,
// reply to one) and one Adapter that turns any Site into a channel kind —
// channel.Adapter, Parser, Poller, Describer and Checker — so that another
// review site is one small package that speaks its API and nothing else.
//
// The adapter polls the site (Poll) newest first, keeps a cursor of the
// newest review time it has seen, and hands the new and edited
// reviews to the core as a payload of its own JSON format, which Parse
// turns into public messages: one public ticket per review (Thread
// "review:" and the review's id), with the stars, the link to the review
// and the reviewer's profile. An agent's reply is posted as the business's
// public reply to the review (Send); nothing else can be sent.
//
// It does not report, flag or hide reviews (no Moderation: sites allow
// that only through their own pages), does not ask reviewers for reviews,
// and does not import the business's replies written on the site as
// messages (they are kept in the review message's meta, see Parse).
package review

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"loket.dev/loket/internal/domain"
)

// Review is one review as a site lists it, in the form the adapter
// understands whatever the site.
type Review struct {
	// ID is the site's id of the review, used to reply to it.
	ID string `json:"id"`
	// AuthorID is the site's stable id of the reviewer; empty when the
	// site gives none or the reviewer is anonymous.
	AuthorID   string `json:"author_id,omitempty"`
	AuthorName string `json:"author_name,omitempty"`
	// AuthorURL is the reviewer's public profile, when the site has one.
	AuthorURL string `json:"author_url,omitempty"`
	Anonymous bool   `json:"anonymous,omitempty"`
	// Rating is 1 to 5 stars; 0 when the site gives none.
	Rating int    `json:"rating"`
	Title  string `json:"title,omitempty"`
	Text   string `json:"text,omitempty"`
	// Language is the review's language as the site says (ISO 639-1).
	Language string    `json:"language,omitempty"`
	Created  time.Time `json:"created"`
	// Updated is when the reviewer last changed the review; Created when
	// never.
	Updated time.Time `json:"updated"`
	// URL shows the review in place on the site.
	URL string `json:"url,omitempty"`
	// Reply is the business's reply already on the site, if any.
	Reply *Reply `json:"reply,omitempty"`
}

// Reply is the business's public answer to a review on the site.
type Reply struct {
	Text    string    `json:"text"`
	Updated time.Time `json:"updated"`
}

// Limits on what a review may hold to be imported.
const (
	maxID   = 248 // "review:" + id must fit a 255-byte thread key
	maxText = 64 << 10
)

// Validate checks what the core relies on: an id, a rating of 0 to 5,
// valid text within limits and a creation time.
func (r *Review) Validate() error {
	bad := func(msg string) error {
		return domain.Invalid("invalid_review", fmt.Sprintf("review %.40q: %s", r.ID, msg))
	}
	switch {
	case r.ID == "" || len(r.ID) > maxID || strings.ContainsAny(r.ID, "\x00\r\n"):
		return bad(fmt.Sprintf("the id must be 1 to %d bytes on one line", maxID))
	case r.Rating < 0 || r.Rating > 5:
		return bad(fmt.Sprintf("a rating is 1 to 5 stars, not %d", r.Rating))
	case r.Created.IsZero():
		return bad("it has no creation time")
	case len(r.Text) > maxText || len(r.Title) > maxText || len(r.AuthorName) > 1024 || len(r.AuthorID) > 255:
		return bad("it is too large")
	case len(r.URL) > 2048 || len(r.AuthorURL) > 2048:
		return bad("a link is longer than 2048 bytes")
	}
	for _, s := range []string{r.ID, r.AuthorID, r.AuthorName, r.AuthorURL, r.Title, r.Text, r.Language, r.URL} {
		if !utf8.ValidString(s) {
			return bad("it holds text that is not UTF-8")
		}
	}
	if r.Reply != nil && (len(r.Reply.Text) > maxText || !utf8.ValidString(r.Reply.Text)) {
		return bad("its reply is too large or not UTF-8")
	}
	return nil
}

// edited reports whether the reviewer changed the review after writing it.
// An update within a second of the business's reply is taken to be the
// reply's: a site may move a review's update time when it is answered.
func (r *Review) edited() bool {
	if !r.Updated.After(r.Created) {
		return false
	}
	if r.Reply != nil && !r.Reply.Updated.IsZero() {
		if d := r.Updated.Sub(r.Reply.Updated); d <= time.Second && d >= -time.Second {
			return false
		}
	}
	return true
}

// Order says which time a site lists its reviews by, newest first; the
// cursor follows the same time.
type Order int

// Orders a site may list by.
const (
	// ByUpdated: an edited review comes back to the top of the list, so
	// the adapter sees every edit (Google).
	ByUpdated Order = iota
	// ByCreated: reviews stay where they were written, so an edit of a
	// review already read is not seen (Trustpilot).
	ByCreated
)

// Site is one review site's API, for one channel's account: its settings
// and secrets are the channel's. A site package implements it and nothing
// else; New makes it a channel kind.
type Site interface {
	// Kind is the channel kind, such as "google_reviews".
	Kind() string
	// Identity is the kind of address its reviewers get.
	Identity() domain.IdentityKind
	// Secrets names the settings keys that are secret.
	Secrets() []string
	// Validate checks the site's settings and secrets. The settings also
	// hold Settings' fields, which the site's settings type must embed.
	Validate(settings json.RawMessage, secrets map[string]string) error
	// Fetch lists one page of reviews, newest first by Order, from the
	// page token (empty: the first page), and returns the next page's
	// token ("" after the last). A 429 is a *channel.RetryAfterError; a
	// refused sign-in is a *channel.PermanentError.
	Fetch(ctx context.Context, ch *domain.Channel, page string) (reviews []Review, next string, err error)
	// Reply posts text as the business's public reply to the review and
	// returns the reply's id at the site, or "" when the site gives none.
	Reply(ctx context.Context, ch *domain.Channel, reviewID, text string) (replyID string, err error)
	// Traits are the site's fixed properties.
	Traits() Traits
}

// Traits are what differs between sites beyond their API.
type Traits struct {
	// Name is the site's name for people, such as "Google".
	Name  string
	Order Order
	// MaxLength is the longest reply the site takes, in characters; zero
	// when it names no limit.
	MaxLength int
}

// Settings are the settings every review channel has besides its site's;
// a site's settings type embeds it.
type Settings struct {
	// PollIntervalSeconds is how often the site is asked for new reviews:
	// 300 (five minutes) when zero, at least 60.
	PollIntervalSeconds int `json:"poll_interval_seconds,omitempty"`
}

// Poll interval bounds.
const (
	DefaultPollInterval = 5 * time.Minute
	MinPollInterval     = time.Minute
)

// CheckSettings validates the shared settings; a site's Validate calls it.
func (s Settings) CheckSettings() error {
	if s.PollIntervalSeconds != 0 && time.Duration(s.PollIntervalSeconds)*time.Second < MinPollInterval {
		return domain.Invalid("invalid_settings", fmt.Sprintf("poll_interval_seconds must be at least %d (one minute); leave it out for %d", int(MinPollInterval.Seconds()), int(DefaultPollInterval.Seconds())))
	}
	return nil
}

// interval is the channel's poll interval.
func interval(raw json.RawMessage) time.Duration {
	var s Settings
	// Lenient on purpose: the site's own fields are there too.
	if len(raw) > 0 && json.Unmarshal(raw, &s) == nil && s.PollIntervalSeconds > 0 {
		return max(time.Duration(s.PollIntervalSeconds)*time.Second, MinPollInterval)
	}
	return DefaultPollInterval
}

// Stars writes a rating as five stars, filled and empty: "★★☆☆☆".
func Stars(rating int) string {
	rating = min(max(rating, 0), 5)
	return strings.Repeat("★", rating) + strings.Repeat("☆", 5-rating)
}
