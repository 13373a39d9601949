package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// site is a provider with numbered posts; Poll returns those after the
// cursor, two at a time, and fails as told.
type site struct {
	mu    sync.Mutex
	posts int
	fail  []error // returned by the next polls, in turn
	seen  []string
}

func (s *site) Parse(*domain.Channel, string, []byte, string) (*channel.Batch, error) {
	return nil, errors.New("not used")
}

func (s *site) Poll(_ context.Context, _ *domain.Channel, cursor string) ([]byte, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, cursor)
	if len(s.fail) > 0 {
		err := s.fail[0]
		s.fail = s.fail[1:]
		return nil, cursor, err
	}
	from, _ := strconv.Atoi(cursor)
	to := min(from+2, s.posts)
	if to == from {
		return nil, cursor, nil
	}
	var ids []int
	for i := from + 1; i <= to; i++ {
		ids = append(ids, i)
	}
	b, _ := json.Marshal(ids)
	return b, strconv.Itoa(to), nil
}

func (s *site) PollInterval(*domain.Channel) time.Duration { return time.Millisecond }

// ingest records the posts stored, refusing once as told.
type ingest struct {
	mu     sync.Mutex
	posts  []int
	refuse int
}

func (in *ingest) fn(_ context.Context, _ *domain.Channel, contentType string, body []byte) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if contentType != "application/json" {
		return fmt.Errorf("content type %q", contentType)
	}
	if in.refuse > 0 {
		in.refuse--
		return errors.New("database is away")
	}
	var ids []int
	if err := json.Unmarshal(body, &ids); err != nil {
		return err
	}
	in.posts = append(in.posts, ids...)
	return nil
}

func (in *ingest) stored() []int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]int(nil), in.posts...)
}

func TestRunner_StoresEveryPostOnceAndKeepsTheCursor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ch := &domain.Channel{Kind: "reviews", Name: "Reviews", Enabled: true}
		if err := st.CreateChannel(ctx, ch, "h1"); err != nil {
			t.Fatal(err)
		}
		off := &domain.Channel{Kind: "reviews", Name: "Off", Enabled: false}
		if err := st.CreateChannel(ctx, off, "h2"); err != nil {
			t.Fatal(err)
		}
		s := &site{posts: 5, fail: []error{&channel.RetryAfterError{After: time.Millisecond, Err: errors.New("429")}}}
		in := &ingest{refuse: 1}
		var reports sync.Map
		r := New(Config{Kind: "reviews", Poller: s, Store: st, Locks: st.Locker(), Ingest: in.fn, MaxBackoff: time.Millisecond,
			Report: func(_ context.Context, id int64, err error) { reports.Store(id, err) }})
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { r.Run(runCtx); close(done) }()
		eventually.True(t, "all five posts stored", func() bool { return len(in.stored()) == 5 })
		eventually.True(t, "the cursor kept", func() bool {
			c, _ := st.ChannelCursor(ctx, ch.ID)
			return c == "5"
		})
		stop()
		<-done
		if got := in.stored(); fmt.Sprint(got) != "[1 2 3 4 5]" {
			t.Errorf("stored %v, want each post once, in order", got)
		}
		if err, ok := reports.Load(ch.ID); !ok || err != nil {
			t.Errorf("last report %v (%v), want healthy again", err, ok)
		}
		if c, _ := st.ChannelCursor(ctx, off.ID); c != "" {
			t.Errorf("a disabled channel was polled: cursor %q", c)
		}

		// A new runner (a restart, another node) goes on from the cursor.
		s.mu.Lock()
		s.posts, s.seen = 6, nil
		s.mu.Unlock()
		r2 := New(Config{Kind: "reviews", Poller: s, Store: st, Locks: st.Locker(), Ingest: in.fn})
		runCtx, stop = context.WithCancel(ctx)
		done = make(chan struct{})
		go func() { r2.Run(runCtx); close(done) }()
		eventually.True(t, "the sixth post stored", func() bool { return len(in.stored()) == 6 })
		stop()
		<-done
		s.mu.Lock()
		first := s.seen[0]
		s.mu.Unlock()
		if first != "5" {
			t.Errorf("a restarted runner polled from %q, want the kept cursor 5", first)
		}
	})
}

func TestRunner_OneNodePollsAChannel(t *testing.T) {
	url := storetest.PostgresURL(t)
	if url == "" {
		return
	}
	ctx := context.Background()
	dbURL := storetest.NewPostgresDatabase(t)
	open := func() *store.Store {
		st, err := store.Open(ctx, dbURL, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a := open()
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b := open()
	ch := &domain.Channel{Kind: "reviews", Name: "Reviews", Enabled: true}
	if err := a.CreateChannel(ctx, ch, ""); err != nil {
		t.Fatal(err)
	}
	sa, sb := &site{posts: 4}, &site{posts: 4}
	ia, ib := &ingest{}, &ingest{}
	lockA := a.Locker()
	if ok, err := lockA.TryLock(ctx, lockName("reviews", ch.ID)); !ok || err != nil {
		t.Fatalf("take the lock first: %v %v", ok, err)
	}
	rb := New(Config{Kind: "reviews", Poller: sb, Store: b, Locks: b.Locker(), Ingest: ib.fn})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rb.Run(runCtx); close(done) }()
	// Node A polls by hand while it holds the lock; B must not.
	ra := New(Config{Kind: "reviews", Poller: sa, Store: a, Ingest: ia.fn})
	var at position
	for range 3 {
		if err := ra.once(ctx, ch, &at); err != nil {
			t.Fatal(err)
		}
	}
	// Node A lets go: B takes over from A's cursor.
	lockA.Unlock(ctx, lockName("reviews", ch.ID))
	sb.mu.Lock()
	sb.posts = 6
	sb.mu.Unlock()
	rb.Lost()
	eventually.True(t, "node B polls after A let go", func() bool { return len(ib.stored()) == 2 })
	stop()
	<-done
	if got := fmt.Sprint(ia.stored(), ib.stored()); got != "[1 2 3 4] [5 6]" {
		t.Errorf("stored %s, want A's four and then B's two", got)
	}
}
