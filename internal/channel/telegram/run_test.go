package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// channelList is a channel list that a test changes, as an admin would.
type channelList struct {
	mu  sync.Mutex
	chs []*domain.Channel
}

func (c *channelList) Channels(context.Context, string) ([]*domain.Channel, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*domain.Channel(nil), c.chs...), nil
}

func (c *channelList) set(chs ...*domain.Channel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.chs = chs
}

// ingests records what the adapter ingests, failing when told to.
type ingests struct {
	mu       sync.Mutex
	ids      []int64
	failNext int
}

func (g *ingests) ingest(_ context.Context, ch *domain.Channel, contentType string, body []byte) error {
	var u struct {
		UpdateID int64 `json:"update_id"`
	}
	if contentType != ContentType || json.Unmarshal(body, &u) != nil {
		return domain.Invalid("invalid_json", "not an update")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ids = append(g.ids, u.UpdateID)
	if g.failNext > 0 {
		g.failNext--
		return errors.New("database is locked")
	}
	return nil
}

func (g *ingests) seen() []int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int64(nil), g.ids...)
}

// reports records channel health reports.
type reports struct {
	mu   sync.Mutex
	errs []error
}

func (r *reports) report(_ context.Context, _ int64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *reports) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// run runs a until the test ends.
func run(t *testing.T, a *Adapter) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestPoll_ConfirmsAnUpdateOnlyOnceIngested(t *testing.T) {
	f := newFakeBot(t)
	g := &ingests{}
	rep := &reports{}
	list := &channelList{}
	a := New(Config{Client: f.srv.Client(), Ingest: g.ingest, Report: rep.report, Channels: list, Log: quiet,
		PollTimeout: time.Second, Backoff: time.Millisecond, RescanInterval: time.Hour})
	run(t, a)
	f.queue(string(fixture(t, "text.json")))
	list.set(f.channel(1))
	a.Publish(domain.Event{Type: domain.EventChannelCreated, ChannelID: 1})
	eventually.True(t, "the first update to be ingested and confirmed", func() bool {
		return slices.Contains(f.getUpdatesOffsets(), 734190002)
	})

	// The next update fails to be ingested once: it is fetched again.
	g.mu.Lock()
	g.failNext = 1
	g.mu.Unlock()
	f.queue(string(fixture(t, "callback.json")))
	eventually.True(t, "the button tap to be confirmed", func() bool {
		return slices.Contains(f.getUpdatesOffsets(), 734190010)
	})
	if got, want := g.seen(), []int64{734190001, 734190009, 734190009}; !slices.Equal(got, want) {
		t.Errorf("ingested %v, want %v", got, want)
	}
	offsets := f.getUpdatesOffsets()
	for i := 1; i < len(offsets); i++ {
		if offsets[i] < offsets[i-1] {
			t.Errorf("offsets %v go back", offsets)
		}
	}
	if n := len(f.callsOf("deleteWebhook")); n != 1 {
		t.Errorf("%d deleteWebhook calls, want 1 before polling", n)
	}
	if calls := f.callsOf("answerCallbackQuery"); len(calls) != 1 || calls[0].Params["callback_query_id"] != "4382bfdwdsb323b2d9" {
		t.Errorf("answerCallbackQuery %+v, want the tap answered once, after it was ingested", calls)
	}
	if errs := rep.all(); len(errs) != 2 || errs[0] == nil || errs[1] != nil {
		t.Errorf("reports %v, want the failure and then recovery", errs)
	}
	if calls := f.callsOf("getUpdates"); len(calls) == 0 || len(calls[0].Params["allowed_updates"].([]any)) != 4 {
		t.Errorf("getUpdates %+v, want the allowed updates", calls)
	}
}

func TestPoll_UpdateTheCoreRefusesIsSkipped(t *testing.T) {
	f := newFakeBot(t)
	list := &channelList{}
	list.set(f.channel(1))
	var mu sync.Mutex
	var seen []string
	refusing := func(_ context.Context, _ *domain.Channel, _ string, body []byte) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, string(body))
		if len(seen) == 1 {
			return domain.Invalid("empty_message", "message has no text, HTML or attachments")
		}
		return nil
	}
	a := New(Config{Ingest: refusing, Channels: list, Log: quiet, PollTimeout: time.Second, Backoff: time.Millisecond})
	f.queue(`{"update_id":10}`, `{"update_id":11}`)
	run(t, a)
	eventually.True(t, "both updates to be confirmed", func() bool { return slices.Contains(f.getUpdatesOffsets(), 12) })
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Errorf("ingested %q, want each update once", seen)
	}
}

func TestPoll_ErrorsAreReportedAndRetried(t *testing.T) {
	f := newFakeBot(t)
	f.fail("getUpdates", 409, `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}`)
	rep := &reports{}
	list := &channelList{}
	list.set(f.channel(1))
	a := New(Config{Ingest: (&ingests{}).ingest, Report: rep.report, Channels: list, Log: quiet, PollTimeout: time.Second, Backoff: time.Millisecond})
	run(t, a)
	eventually.True(t, "the conflict to be reported and polling to recover", func() bool {
		errs := rep.all()
		return len(errs) == 2 && errs[0] != nil && errs[1] == nil
	})
	var ae *apiError
	if !errors.As(rep.all()[0], &ae) || ae.Code != 409 {
		t.Errorf("report %v, want the conflict", rep.all()[0])
	}
}

func TestRun_RestartsWhenAChannelIsSavedAndStopsWhenDisabled(t *testing.T) {
	f := newFakeBot(t)
	list := &channelList{}
	ch := f.channel(1)
	ch.Secrets["bot_token"] = "1:wrongwrongwrongwrongwrong"
	list.set(ch)
	rep := &reports{}
	// Polls wait a minute, so one ends early only when the poller stops.
	a := New(Config{Ingest: (&ingests{}).ingest, Report: rep.report, Channels: list, Log: quiet, PollTimeout: time.Minute, Backoff: time.Hour, RescanInterval: time.Hour})
	run(t, a)
	eventually.True(t, "the wrong token to be reported", func() bool { return len(rep.all()) == 1 })

	list.set(f.channel(1))
	a.Publish(domain.Event{Type: domain.EventChannelUpdated, ChannelID: 1})
	eventually.True(t, "polling with the corrected token", func() bool { return len(f.callsOf("getUpdates")) > 0 })

	off := f.channel(1)
	off.Enabled = false
	list.set(off)
	a.Publish(domain.Event{Type: domain.EventChannelUpdated, ChannelID: 1})
	eventually.True(t, "the long poll to be given up", func() bool { return f.abandonedPolls() == 1 })
}

// fakeLocks hands out each lock to one holder.
type fakeLocks struct {
	mu   sync.Mutex
	held map[string]*fakeLocker
}

type fakeLocker struct{ all *fakeLocks }

func (l *fakeLocker) TryLock(_ context.Context, name string) (bool, error) {
	l.all.mu.Lock()
	defer l.all.mu.Unlock()
	if h, ok := l.all.held[name]; ok {
		return h == l, nil
	}
	l.all.held[name] = l
	return true, nil
}

func (l *fakeLocker) Unlock(_ context.Context, name string) {
	l.all.mu.Lock()
	defer l.all.mu.Unlock()
	if l.all.held[name] == l {
		delete(l.all.held, name)
	}
}

func (l *fakeLocker) Check(context.Context) error { return nil }

func TestRun_OneNodePollsAChannel(t *testing.T) {
	f := newFakeBot(t)
	list := &channelList{}
	list.set(f.channel(1))
	locks := &fakeLocks{held: map[string]*fakeLocker{}}
	first := &fakeLocker{all: locks}
	second := &fakeLocker{all: locks}
	g1, g2 := &ingests{}, &ingests{}
	a1 := New(Config{Ingest: g1.ingest, Channels: list, Locks: first, Log: quiet, PollTimeout: time.Second, RescanInterval: time.Hour})
	a2 := New(Config{Ingest: g2.ingest, Channels: list, Locks: second, Log: quiet, PollTimeout: time.Second, RescanInterval: time.Hour})
	run(t, a1)
	eventually.True(t, "the first node to poll", func() bool { return len(f.callsOf("getUpdates")) > 0 })
	run(t, a2)
	f.queue(string(fixture(t, "text.json")))
	eventually.True(t, "the update to be ingested", func() bool { return len(g1.seen()) == 1 })
	if len(g2.seen()) != 0 || len(f.callsOf("deleteWebhook")) != 1 {
		t.Errorf("the second node ingested %v and deleteWebhook was called %d times, want only the first node polling", g2.seen(), len(f.callsOf("deleteWebhook")))
	}
}

func TestRun_RegistersTheWebhookWithAPublicURL(t *testing.T) {
	f := newFakeBot(t)
	list := &channelList{}
	a := New(Config{BaseURL: "https://support.example.com/", Ingest: (&ingests{}).ingest, Channels: list, Log: quiet, Backoff: time.Millisecond, RescanInterval: time.Hour})
	f.fail("setWebhook", 400, `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook: Failed to resolve host"}`)
	run(t, a)
	list.set(f.channel(3))
	a.Publish(domain.Event{Type: domain.EventChannelCreated, ChannelID: 3})
	eventually.True(t, "the webhook to be registered after a retry", func() bool { return len(f.callsOf("setWebhook")) == 2 })
	call := f.callsOf("setWebhook")[1]
	if call.Params["url"] != "https://support.example.com/api/v1/telegram/3/webhook" || call.Params["secret_token"] != "s3cr3t-token" ||
		len(call.Params["allowed_updates"].([]any)) != 4 {
		t.Errorf("setWebhook %+v", call.Params)
	}
	if len(f.callsOf("getUpdates")) != 0 || len(f.callsOf("deleteWebhook")) != 0 {
		t.Error("polled although the webhook is registered")
	}
}

func TestRun_RegistersTheWebhookAgainWhenItWasChangedElsewhere(t *testing.T) {
	f := newFakeBot(t)
	list := &channelList{}
	list.set(f.channel(3))
	a := New(Config{BaseURL: "https://support.example.com", Channels: list, Log: quiet, RescanInterval: 10 * time.Millisecond})
	// Loket's webhook is in place for one check; then someone polls the
	// bot elsewhere, which deletes it.
	f.fail("getWebhookInfo", 200, `{"ok":true,"result":{"url":"https://support.example.com/api/v1/telegram/3/webhook","pending_update_count":0}}`)
	run(t, a)
	eventually.True(t, "the webhook to be registered again", func() bool { return len(f.callsOf("setWebhook")) >= 2 })
	if n := len(f.callsOf("getWebhookInfo")); n < 2 {
		t.Errorf("%d getWebhookInfo calls, want the webhook checked before it was set again", n)
	}
}
