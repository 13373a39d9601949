// Package frontdesk is the front desk channel kind ("desk"): customers who
// visit the office. A receptionist checks a visitor in through the agent
// API, the visitor gets a queue number of the day and a visit entry on a
// ticket (desk.CheckInVisitor), and agents call the numbers to their
// counters.
//
// The package owns the public side of the queue: the JSON endpoint a
// waiting-room display polls (Routes, under /api/v1/desk/{channel}/) and
// the display page itself (Display, under /desk/). Both show queue numbers
// and counter names only, never who the visitors are. The channel sends
// nothing to customers: a reply to a visitor goes out on another channel.
package frontdesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Kind is the channel kind this package serves.
const Kind = "desk"

// Settings are a front desk channel's settings.
type Settings struct {
	// Prefix starts every queue number, such as "A" for A001; empty
	// numbers the queue 001, 002, ...
	Prefix string `json:"prefix,omitempty"`
	// Timezone is the IANA zone in which the numbering starts again each
	// day, such as "Europe/Amsterdam"; UTC when empty.
	Timezone string `json:"timezone,omitempty"`
}

// Config wires an Adapter.
type Config struct {
	Desk  *desk.Desk
	Store *store.Store
	Log   *slog.Logger
	// Now is the clock; nil is the real one.
	Now func() time.Time
}

// Adapter implements channel.Adapter for front desk channels and serves
// the waiting-room display.
type Adapter struct {
	desk  *desk.Desk
	store *store.Store
	log   *slog.Logger
	now   func() time.Time

	mu    sync.Mutex
	cache map[int64]cachedQueue
}

// New returns an adapter.
func New(cfg Config) *Adapter {
	a := &Adapter{desk: cfg.Desk, store: cfg.Store, log: cfg.Log, now: cfg.Now, cache: map[int64]cachedQueue{}}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter: a front desk has none.
func (*Adapter) Secrets() []string { return nil }

// Capabilities implements channel.Describer: visits are face to face, so
// the channel carries nothing written back to the customer (NoReplies:
// replies go by the contact's other channels).
func (*Adapter) Capabilities() channel.Capabilities { return channel.Capabilities{NoReplies: true} }

var prefixPattern = regexp.MustCompile(`^[A-Z]{0,3}$`)

// Validate implements channel.Adapter.
func (*Adapter) Validate(raw json.RawMessage, _ map[string]string) error {
	_, err := parseSettings(raw)
	return err
}

func parseSettings(raw json.RawMessage) (*Settings, error) {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return nil, domain.Invalid("invalid_settings", "desk channel settings: "+err.Error()+"; allowed: prefix, timezone")
	}
	if !prefixPattern.MatchString(s.Prefix) {
		return nil, domain.Invalid("invalid_settings", "prefix must be at most 3 capital letters, such as A")
	}
	if s.Timezone != "" {
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			return nil, domain.Invalid("invalid_settings", fmt.Sprintf("timezone %q is not an IANA time zone such as Europe/Amsterdam", s.Timezone))
		}
	}
	return &s, nil
}

// VisitQueue implements desk.VisitQueuer: how the channel numbers its
// visitors.
func (*Adapter) VisitQueue(ch *domain.Channel) (desk.VisitQueue, error) {
	s, err := parseSettings(ch.Settings)
	if err != nil {
		return desk.VisitQueue{}, err
	}
	loc := time.UTC
	if s.Timezone != "" {
		if loc, err = time.LoadLocation(s.Timezone); err != nil {
			return desk.VisitQueue{}, fmt.Errorf("desk channel %d: %w", ch.ID, err)
		}
	}
	return desk.VisitQueue{Prefix: s.Prefix, Location: loc}, nil
}

// errNoSend explains why nothing is sent on a front desk channel.
var errNoSend = errors.New("a front desk channel cannot send messages: the visitor was helped in person; reply on another channel such as e-mail or SMS")

// Send implements channel.Adapter: nothing can be delivered to a visitor;
// the desk refuses such replies before they are queued (NoReplies), so
// this is a backstop.
func (*Adapter) Send(context.Context, *channel.Outbound) (channel.Sent, error) {
	return channel.Sent{}, channel.Permanent(errNoSend)
}
