package review

import (
	"encoding/json"
	"slices"
	"time"

	"loket.dev/loket/internal/domain"
)

// Lookback is how far back the first poll of a new channel imports: a
// channel starts with the last 30 days' reviews, not the site's history.
const Lookback = 30 * 24 * time.Hour

// cursor is where a channel's polling stands, kept by the core between
// polls as JSON. Reviews are read newest first in sweeps: a sweep starts at
// the first page and reads on, page by page, until it reaches a review
// before Since; then Since becomes the newest time the sweep saw. A poll
// reads at most PagesPerPoll pages, so a long sweep (a backlog) goes on at
// the next poll from the page it got to (Page), and reviews that arrive
// meanwhile are found by the sweep after it. Pages that shift under a
// sweep as reviews arrive give some reviews twice, which the core drops as
// duplicates; a review the site removes during a sweep may shift one past
// it unread.
type cursor struct {
	// Since is the newest review time (by the site's Order) of the last
	// finished sweep, and IDs the reviews at exactly that instant, which
	// are not imported again.
	Since time.Time `json:"since"`
	IDs   []string  `json:"ids,omitempty"`
	// Page is the next page of the sweep under way; empty between sweeps.
	Page string `json:"page,omitempty"`
	// Top and TopIDs are the newest time the sweep under way has seen and
	// the reviews at it.
	Top    time.Time `json:"top,omitzero"`
	TopIDs []string  `json:"top_ids,omitempty"`
}

// maxCursorIDs bounds the ids kept for one instant; sites give times to
// the second or finer, so more than this at once does not happen.
const maxCursorIDs = 200

func parseCursor(s string, now time.Time) (cursor, error) {
	var c cursor
	if s == "" {
		c.Since = now.Add(-Lookback)
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, domain.Invalid("invalid_cursor", "review poll cursor is not the adapter's JSON: "+err.Error())
	}
	return c, nil
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// seen reports whether a review at t with id is at or before Since, that
// is, imported by an earlier sweep or older than the channel.
func (c *cursor) seen(t time.Time, id string) bool {
	return t.Before(c.Since) || (t.Equal(c.Since) && slices.Contains(c.IDs, id))
}

// note records a new review at t in the sweep's newest time.
func (c *cursor) note(t time.Time, id string) {
	switch {
	case t.After(c.Top):
		c.Top, c.TopIDs = t, []string{id}
	case t.Equal(c.Top) && !slices.Contains(c.TopIDs, id) && len(c.TopIDs) < maxCursorIDs:
		c.TopIDs = append(c.TopIDs, id)
	}
}

// finish ends the sweep: what it saw newest becomes Since.
func (c *cursor) finish() {
	switch {
	case c.Top.After(c.Since):
		c.Since, c.IDs = c.Top, c.TopIDs
	case c.Top.Equal(c.Since):
		for _, id := range c.TopIDs {
			if !slices.Contains(c.IDs, id) && len(c.IDs) < maxCursorIDs {
				c.IDs = append(c.IDs, id)
			}
		}
	}
	c.Page, c.Top, c.TopIDs = "", time.Time{}, nil
}
