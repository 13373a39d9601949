package x

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)

// poller is an adapter on a fake X, polled as the core does: the cursor
// is kept after each payload.
type poller struct {
	t      *testing.T
	a      *Adapter
	f      *fakeX
	clock  *clock
	cursor string
}

func newPoller(t *testing.T, maxPages int) *poller {
	c := &clock{t: t0}
	f := newFakeX(t)
	return &poller{t: t, a: New(Config{Now: c.Now, MaxPages: maxPages}), f: f, clock: c}
}

// poll polls once and parses the payload, returning the external ids of
// the messages, in the payload's order.
func (p *poller) poll() ([]string, error) {
	p.t.Helper()
	body, next, err := p.a.Poll(context.Background(), p.f.channel(), p.cursor)
	if err != nil {
		return nil, err
	}
	p.cursor = next
	if len(body) == 0 {
		return nil, nil
	}
	b, err := p.a.Parse(p.f.channel(), "application/json", body, "NL")
	if err != nil {
		p.t.Fatalf("parse of a poll's payload: %v\n%s", err, body)
	}
	var ids []string
	for _, m := range b.Messages {
		ids = append(ids, m.ExternalID)
	}
	return ids, nil
}

func (p *poller) mustPoll() []string {
	p.t.Helper()
	ids, err := p.poll()
	if err != nil {
		p.t.Fatal(err)
	}
	return ids
}

func TestPoll_FirstPollStartsFromNowAndImportsNoHistory(t *testing.T) {
	p := newPoller(t, 5)
	p.f.addUser("42", "janjansen", "Jan Jansen")
	p.f.mention("42", "@AcmeSupport old complaint", "", t0.Add(-time.Hour))
	p.f.dm("42", "an old direct message", t0.Add(-time.Hour))

	if ids := p.mustPoll(); len(ids) != 0 {
		t.Fatalf("first poll imported %v, want nothing", ids)
	}
	if n := p.f.Calls("GET /2/users/" + accountID + "/mentions"); n != 0 {
		t.Errorf("first poll read X %d times, want it only to mark the start", n)
	}
	var cur cursor
	if err := json.Unmarshal([]byte(p.cursor), &cur); err != nil || !cur.Start.Equal(t0) {
		t.Fatalf("cursor %s (%v), want the start", p.cursor, err)
	}
	p.clock.Add(time.Minute)
	if ids := p.mustPoll(); len(ids) != 0 {
		t.Fatalf("second poll imported %v from before the start", ids)
	}
	m := p.f.mention("42", "@AcmeSupport where is my order?", "", t0.Add(30*time.Second))
	d := p.f.dm("42", "my order number is 10443", t0.Add(40*time.Second))
	if ids := p.mustPoll(); strings.Join(ids, ",") != m+","+d {
		t.Fatalf("imported %v, want the new mention %s and message %s", ids, m, d)
	}
	if ids := p.mustPoll(); len(ids) != 0 {
		t.Fatalf("imported %v again", ids)
	}
}

// A backlog longer than a poll reads is read over several polls, newest
// pages first, and nothing is skipped or read twice; what arrives during
// the walk follows it.
func TestPoll_BacklogAcrossPagesAndPolls(t *testing.T) {
	p := newPoller(t, 2)
	p.f.addUser("42", "janjansen", "Jan Jansen")
	p.mustPoll()
	want := map[string]bool{}
	for i := range 450 {
		want[p.f.mention("42", fmt.Sprintf("@AcmeSupport question %d", i), "", t0.Add(time.Second))] = true
		if i%3 == 0 {
			want[p.f.dm("42", fmt.Sprintf("message %d", i), t0.Add(time.Second))] = true
		}
	}
	got := map[string]int{}
	for polls := 1; ; polls++ {
		if polls == 2 {
			// Arrives while the walk is under way.
			want[p.f.mention("42", "@AcmeSupport a late one", "", t0.Add(2*time.Second))] = true
			want[p.f.dm("42", "a late message", t0.Add(2*time.Second))] = true
		}
		ids := p.mustPoll()
		if len(ids) == 0 {
			break
		}
		if polls > 10 {
			t.Fatal("still polling after 10 polls")
		}
		for _, id := range ids {
			got[id]++
		}
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("message %s imported %d times, want once", id, got[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("imported %d messages, want %d", len(got), len(want))
	}
	if n := p.f.Calls("GET /2/users/" + accountID + "/mentions"); n > 9 {
		t.Errorf("%d mention reads for 451 mentions in pages of 100, want at most 9", n)
	}
}

func TestPoll_OwnTweetsAndMessagesAreNotImported(t *testing.T) {
	p := newPoller(t, 5)
	p.f.addUser("42", "janjansen", "Jan Jansen")
	p.mustPoll()
	m := p.f.mention("42", "@AcmeSupport hello", "", t0.Add(time.Second))
	if _, err := p.a.Send(context.Background(), &channel.Outbound{Channel: p.f.channel(), Public: true, ReplyTo: m,
		Message: message("Hi Jan, we are looking into it.")}); err != nil {
		t.Fatal(err)
	}
	p.f.mention(accountID, "@AcmeSupport a note to self", "", t0.Add(time.Second))
	if _, err := p.a.Send(context.Background(), &channel.Outbound{Channel: p.f.channel(), To: xid("42"), Message: message("Hi Jan, by DM")}); err != nil {
		t.Fatal(err)
	}
	if ids := p.mustPoll(); strings.Join(ids, ",") != m {
		t.Fatalf("imported %v, want only the customer's mention %s", ids, m)
	}
}

func TestPoll_RateLimitWaitsForXsReset(t *testing.T) {
	p := newPoller(t, 5)
	p.f.addUser("42", "janjansen", "Jan Jansen")
	p.mustPoll()
	m := p.f.mention("42", "@AcmeSupport hello", "", t0.Add(time.Second))
	d := p.f.dm("42", "hello by DM", t0.Add(time.Second))

	// Both streams limited: nothing read, the core waits until X's reset.
	reset := t0.Add(7 * time.Minute).Unix()
	p.f.limit("GET /2/users/", reset)
	p.f.limit("GET /2/dm_events", reset)
	_, err := p.poll()
	var ra *channel.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 7*time.Minute {
		t.Fatalf("error %v, want a RetryAfterError of 7 minutes", err)
	}
	// Mentions limited only: the direct message comes in, mentions wait.
	p.f.limit("GET /2/users/", reset)
	if ids := p.mustPoll(); strings.Join(ids, ",") != d {
		t.Fatalf("imported %v, want the direct message %s", ids, d)
	}
	calls := p.f.Calls("GET /2/users/" + accountID + "/mentions")
	if ids := p.mustPoll(); len(ids) != 0 || p.f.Calls("GET /2/users/"+accountID+"/mentions") != calls {
		t.Fatalf("imported %v, mention reads %d → %d: want mentions left alone until the reset", ids, calls, p.f.Calls("GET /2/users/"+accountID+"/mentions"))
	}
	p.clock.Add(7 * time.Minute)
	if ids := p.mustPoll(); strings.Join(ids, ",") != m {
		t.Fatalf("imported %v after the reset, want the mention %s", ids, m)
	}
}

// A rate limit in the middle of a walk keeps what was read; the walk goes
// on after X's reset.
func TestPoll_RateLimitMidWalkKeepsThePagesRead(t *testing.T) {
	p := newPoller(t, 5)
	p.f.addUser("42", "janjansen", "Jan Jansen")
	p.mustPoll()
	for i := range 250 {
		p.f.mention("42", fmt.Sprintf("@AcmeSupport question %d", i), "", t0.Add(time.Second))
	}
	// The first page goes through; the second is refused.
	p.f.limitAfter("GET /2/users/", 1, t0.Add(time.Minute).Unix())
	ids := p.mustPoll()
	if len(ids) != 100 || p.f.Calls("GET /2/users/"+accountID+"/mentions") != 2 {
		t.Fatalf("imported %d after a refused second page, want the first 100", len(ids))
	}
	if again := p.mustPoll(); len(again) != 0 || p.f.Calls("GET /2/users/"+accountID+"/mentions") != 2 {
		t.Fatalf("imported %d before X's reset, want mentions left alone", len(again))
	}
	p.clock.Add(time.Minute)
	rest := p.mustPoll()
	seen := map[string]bool{}
	for _, id := range append(ids, rest...) {
		seen[id] = true
	}
	if len(seen) != 250 || len(ids)+len(rest) != 250 {
		t.Fatalf("imported %d + %d (%d different), want all 250 once", len(ids), len(rest), len(seen))
	}
}

// X refusing a page token kept from an earlier poll (400) restarts that
// walk from the newest page rather than failing for ever.
func TestPoll_AnExpiredPageTokenRestartsTheWalk(t *testing.T) {
	p := newPoller(t, 1)
	p.f.addUser("42", "janjansen", "Jan Jansen")
	p.mustPoll()
	for i := range 250 {
		p.f.mention("42", fmt.Sprintf("@AcmeSupport question %d", i), "", t0.Add(time.Second))
	}
	seen := map[string]bool{}
	for _, id := range p.mustPoll() {
		seen[id] = true
	}
	var cur cursor
	if err := json.Unmarshal([]byte(p.cursor), &cur); err != nil || cur.Mentions.Next == "" {
		t.Fatalf("cursor %s, want a walk under way", p.cursor)
	}
	cur.Mentions.Next = "tok-expired"
	b, _ := json.Marshal(cur)
	p.cursor = string(b)
	for polls := 0; ; polls++ {
		ids := p.mustPoll()
		if len(ids) == 0 {
			break
		}
		if polls > 5 {
			t.Fatal("still polling after 5 polls")
		}
		for _, id := range ids {
			seen[id] = true
		}
	}
	if len(seen) != 250 {
		t.Fatalf("imported %d different mentions, want all 250", len(seen))
	}
}

func TestPoll_RefusedKeysArePermanent(t *testing.T) {
	p := newPoller(t, 5)
	p.mustPoll()
	ch := p.f.channel()
	ch.Secrets[SecretAccessTokenSecret] = "revoked"
	_, _, err := p.a.Poll(context.Background(), ch, p.cursor)
	if !channel.IsPermanent(err) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("error %v, want a permanent 401", err)
	}
}

func TestPollInterval(t *testing.T) {
	a := New(Config{})
	for settings, want := range map[string]time.Duration{
		`{}`:                            time.Minute,
		`{"poll_interval_seconds":120}`: 2 * time.Minute,
		`{"poll_interval_seconds":5}`:   15 * time.Second,
		`not json`:                      time.Minute,
	} {
		ch := p0(settings)
		if got := a.PollInterval(ch); got != want {
			t.Errorf("%s: %s, want %s", settings, got, want)
		}
	}
}

func p0(settings string) *domain.Channel {
	return &domain.Channel{ID: 7, Kind: Kind, Settings: json.RawMessage(settings)}
}

func message(text string) *domain.Message { return &domain.Message{Text: text} }

func xid(id string) *domain.Identity { return &domain.Identity{Kind: domain.IdentityX, Value: id} }
