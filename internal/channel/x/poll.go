package x

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// cursor is where a channel's polls have got to, kept by the core between
// polls as one JSON string.
type cursor struct {
	// Start is when the channel first polled: a channel never imports
	// what was posted before it (X's start_time, until the first mention
	// gives a since_id; direct messages by their created_at).
	Start    time.Time `json:"start"`
	Mentions position  `json:"mentions"`
	DMs      position  `json:"dms"`
}

// position is one stream's place. X pages newest first, so a backlog
// longer than a poll reads is walked over several polls: Next is the
// page token where the walk goes on, Newest the newest id it has seen,
// which becomes Since once the walk reaches Since. Nothing between is
// skipped, and nothing imported is read again.
type position struct {
	Since  string `json:"since,omitempty"`
	Next   string `json:"next,omitempty"`
	Newest string `json:"newest,omitempty"`
	// Until is when X's rate limit on this stream resets (Unix seconds):
	// the stream is not read before then.
	Until int64 `json:"until,omitempty"`
}

// The fields a poll asks for: enough to thread a mention, name and link
// its author and show the post it answers.
const (
	tweetFields = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,note_tweet"
	userFields  = "username,name,profile_image_url"
	dmFields    = "id,text,event_type,created_at,sender_id,dm_conversation_id,attachments"
	pageSize    = "100"
)

// Poll implements channel.Poller. The first poll of a channel only marks
// its start; later polls read mentions and direct messages newer than
// those imported, up to MaxPages pages each, and return them as one
// payload with the cursor that follows it. A stream X rate-limits waits
// for X's reset while the other goes on; when nothing could be read
// because of rate limits the error is a *channel.RetryAfterError. A
// refused sign-in or permission is permanent.
func (a *Adapter) Poll(ctx context.Context, ch *domain.Channel, prev string) ([]byte, string, error) {
	c, err := a.clientFor(ch)
	if err != nil {
		return nil, "", err
	}
	var cur cursor
	if prev == "" || json.Unmarshal([]byte(prev), &cur) != nil || cur.Start.IsZero() {
		// A new channel, or a cursor that cannot be read: start from now
		// rather than import the account's history.
		next, err := json.Marshal(cursor{Start: a.now().UTC().Truncate(time.Second)})
		return nil, string(next), err
	}
	now := a.now()
	var (
		out   payload
		wait  time.Duration
		fails []error
	)
	if now.Unix() >= cur.Mentions.Until {
		page, pos, err := c.mentions(ctx, cur)
		cur.Mentions, wait, err = afterRead(cur.Mentions, pos, err, now, wait)
		fails = appendErr(fails, err)
		if page != nil && len(page.Data) > 0 {
			out.Mentions = page
		}
	}
	if now.Unix() >= cur.DMs.Until {
		page, pos, err := c.directMessages(ctx, cur)
		cur.DMs, wait, err = afterRead(cur.DMs, pos, err, now, wait)
		fails = appendErr(fails, err)
		if page != nil && len(page.Data) > 0 {
			out.DirectMessages = page
		}
	}
	if err := errors.Join(fails...); err != nil {
		return nil, "", err
	}
	next, err := json.Marshal(cur)
	if err != nil {
		return nil, "", err
	}
	if out.Mentions == nil && out.DirectMessages == nil {
		if wait > 0 {
			// Nothing could be read: let the core wait for X's reset. The
			// cursor is not kept with an error, so Until lives only in a
			// cursor returned with a payload.
			return nil, "", channel.RetryAfter(errors.New("rate limited by X"), wait)
		}
		return nil, string(next), nil
	}
	b, err := json.Marshal(out)
	return b, string(next), err
}

// afterRead folds one stream's read into its position: progress is kept;
// a rate limit sets Until and the longest wait so far; other errors are
// returned.
func afterRead(old, pos position, err error, now time.Time, wait time.Duration) (position, time.Duration, error) {
	if err == nil {
		return pos, wait, nil
	}
	if w := channel.RetryWait(err); w > 0 && !channel.IsPermanent(err) {
		pos.Until = now.Add(w).Unix()
		return pos, max(wait, w), nil
	}
	return old, wait, err
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

// mentions reads the mention timeline from the cursor: one page after
// another while X gives a next_token, up to MaxPages. A rate limit after
// the first page ends the walk early with what was read.
func (c *client) mentions(ctx context.Context, cur cursor) (*tweetPage, position, error) {
	pos := cur.Mentions
	q := url.Values{"max_results": {pageSize}, "expansions": {"author_id,referenced_tweets.id"},
		"tweet.fields": {tweetFields}, "user.fields": {userFields}}
	if pos.Since != "" {
		q.Set("since_id", pos.Since)
	} else {
		q.Set("start_time", cur.Start.UTC().Format(time.RFC3339))
	}
	out := &tweetPage{}
	users, refs := map[string]bool{}, map[string]bool{}
	for pages := 0; pages < c.a.maxPages; pages++ {
		if pos.Next != "" {
			q.Set("pagination_token", pos.Next)
		}
		var page tweetPage
		if err := c.call(ctx, "GET", "/2/users/"+pathID(c.s.UserID)+"/mentions", q, nil, &page); err != nil {
			if pages > 0 && channel.RetryWait(err) > 0 {
				return out, pos, err
			}
			if pages == 0 && pos.Next != "" && staleToken(err) {
				pos.Next = ""
				q.Del("pagination_token")
				pages--
				continue
			}
			return nil, cur.Mentions, fmt.Errorf("read mentions: %w", err)
		}
		for _, t := range page.Data {
			if numericID.MatchString(t.ID) && (pos.Since == "" || idAfter(t.ID, pos.Since)) {
				out.Data = append(out.Data, t)
				pos.Newest = newestID(t.ID, pos.Newest)
			}
		}
		for _, u := range page.Includes.Users {
			if !users[u.ID] {
				users[u.ID] = true
				out.Includes.Users = append(out.Includes.Users, u)
			}
		}
		for _, t := range page.Includes.Tweets {
			if !refs[t.ID] {
				refs[t.ID] = true
				out.Includes.Tweets = append(out.Includes.Tweets, t)
			}
		}
		pos.Next = page.Meta.NextToken
		if pos.Next == "" {
			return out, position{Since: newestID(pos.Newest, pos.Since)}, nil
		}
	}
	return out, pos, nil
}

// directMessages reads direct message events newest first until one
// already imported (or from before the channel's start), the last page,
// or MaxPages. X's DM lookup has no since_id, so the walk stops itself.
func (c *client) directMessages(ctx context.Context, cur cursor) (*dmPage, position, error) {
	pos := cur.DMs
	q := url.Values{"max_results": {pageSize}, "event_types": {"MessageCreate"}, "dm_event.fields": {dmFields},
		"expansions": {"sender_id"}, "user.fields": {userFields}}
	out := &dmPage{}
	users := map[string]bool{}
	for pages := 0; pages < c.a.maxPages; pages++ {
		if pos.Next != "" {
			q.Set("pagination_token", pos.Next)
		}
		var page dmPage
		if err := c.call(ctx, "GET", "/2/dm_events", q, nil, &page); err != nil {
			if pages > 0 && channel.RetryWait(err) > 0 {
				return out, pos, err
			}
			if pages == 0 && pos.Next != "" && staleToken(err) {
				pos.Next = ""
				q.Del("pagination_token")
				pages--
				continue
			}
			return nil, cur.DMs, fmt.Errorf("read direct messages: %w", err)
		}
		reached := false
		for _, ev := range page.Data {
			if !numericID.MatchString(ev.ID) {
				continue
			}
			if !newDM(ev, pos.Since, cur.Start) {
				reached = true
				continue
			}
			out.Data = append(out.Data, ev)
			pos.Newest = newestID(ev.ID, pos.Newest)
		}
		for _, u := range page.Includes.Users {
			if !users[u.ID] {
				users[u.ID] = true
				out.Includes.Users = append(out.Includes.Users, u)
			}
		}
		pos.Next = page.Meta.NextToken
		if reached || pos.Next == "" {
			return out, position{Since: newestID(pos.Newest, pos.Since)}, nil
		}
	}
	return out, pos, nil
}

// newDM reports whether ev is newer than the newest imported event, or,
// before any was, sent after the channel's start. An event without a
// readable time before then counts as old: history is never imported.
func newDM(ev dmEvent, since string, start time.Time) bool {
	if since != "" {
		return idAfter(ev.ID, since)
	}
	at, err := time.Parse(time.RFC3339, ev.CreatedAt)
	return err == nil && !at.Before(start)
}

// staleToken reports whether X refused a request as invalid (400), as it
// does for a page token it no longer takes. A walk resumed with such a
// token starts again from the newest page: nothing is skipped, and the
// desk drops what it already stored by its external id.
func staleToken(err error) bool {
	var e *apiError
	return errors.As(err, &e) && e.Status == http.StatusBadRequest
}
