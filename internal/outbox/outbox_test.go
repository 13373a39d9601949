package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/outbox"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// queueReply stores a customer's message and an agent's reply, whose
// outbox job is then pending.
func queueReply(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	dir, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ch := &domain.Channel{Kind: api.Kind, Name: "Shop", Enabled: true, Settings: []byte(`{}`)}
	if err := st.CreateChannel(ctx, ch, fmt.Sprint("token-", time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
	d := desk.New(desk.Config{Store: st, Blobs: dir, Channels: channel.NewRegistry(api.New()), Region: "NL",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer d.Close()
	r, err := d.Receive(ctx, &channel.Inbound{ChannelID: ch.ID, ExternalID: "m1", From: domain.Identity{Kind: domain.IdentityEmail, Value: "jan@example.com"}, Text: "Hallo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Send(ctx, &desk.Outgoing{TicketID: r.Ticket.ID, Text: "Dag Jan"}); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, w *outbox.Worker) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// A delivery that outlasts its lease keeps its job: the worker renews the
// lease while it runs, so no other node claims the reply and sends it a
// second time.
func TestWorker_RenewsTheLeaseOfASlowDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		queueReply(t, st)
		db := openRaw(t, st)
		lockedUntil := func() int64 {
			var v int64
			if err := db.QueryRow("SELECT locked_until FROM outbox").Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		started, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		w := outbox.NewWorker(st, func(ctx context.Context, j store.Job) {
			once.Do(func() { close(started) })
			<-release
			st.FinishJob(ctx, j.ID)
		}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		w.Lease = 300 * time.Millisecond
		run(t, w)
		<-started
		// The lease moves forward twice while the delivery runs.
		for range 2 {
			from := lockedUntil()
			eventually.True(t, "the lease to be renewed", func() bool { return lockedUntil() > from })
		}
		close(release)
	})
}

// openRaw opens the store's database directly, to read what the store's
// API does not show.
func openRaw(t *testing.T, st *store.Store) *sql.DB {
	driver := "sqlite"
	if st.Dialect() == store.Postgres {
		driver = "pgx"
	}
	db, err := sql.Open(driver, st.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The job of a node that died while delivering is taken over once its
// short lease has run out.
func TestWorker_TakesOverADeadNodesJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		queueReply(t, st)
		// A node claims the job and dies without renewing its lease.
		if jobs, err := st.Claim(context.Background(), 10, 50); err != nil || len(jobs) != 1 {
			t.Fatalf("claimed %d jobs (%v), want the reply", len(jobs), err)
		}
		delivered := make(chan store.Job, 1)
		w := outbox.NewWorker(st, func(ctx context.Context, j store.Job) {
			st.FinishJob(ctx, j.ID)
			delivered <- j
		}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		run(t, w)
		select {
		case j := <-delivered:
			if j.Attempts != 2 {
				t.Errorf("attempt %d, want the second", j.Attempts)
			}
		case <-time.After(time.Minute):
			t.Fatal("the dead node's job was never taken over")
		}
	})
}

// A delivery whose lease cannot be renewed (the database is gone) is
// stopped before the lease runs out, so that the node that takes the job
// over is the only one to send it.
func TestWorker_StopsADeliveryWhoseLeaseIsLost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		queueReply(t, st)
		url := st.URL()
		if st.Dialect() == store.SQLite {
			url = "sqlite:" + url
		}
		own, err := store.Open(context.Background(), url, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		started, stopped := make(chan struct{}), make(chan error, 1)
		var once sync.Once
		w := outbox.NewWorker(own, func(ctx context.Context, j store.Job) {
			once.Do(func() { close(started) })
			<-ctx.Done()
			stopped <- ctx.Err()
		}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		w.Lease = 300 * time.Millisecond
		run(t, w)
		<-started
		own.Close()
		// A delivery left running would end at its own time limit, with
		// context.DeadlineExceeded instead.
		if err := <-stopped; !errors.Is(err, context.Canceled) {
			t.Errorf("delivery stopped with %v, want it cancelled when its lease was lost", err)
		}
	})
}
