package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
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
// lease, so no other node sends the reply a second time.
func TestWorker_RenewsTheLeaseOfASlowDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		queueReply(t, st)
		started, release := make(chan struct{}), make(chan struct{})
		var deliveries atomic.Int32
		w := outbox.NewWorker(st, func(ctx context.Context, j store.Job) {
			if deliveries.Add(1) == 1 {
				close(started)
			}
			<-release
			st.FinishJob(ctx, j.ID)
		}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		w.Lease = 2 * time.Second
		run(t, w)
		<-started
		// Two leases later another node finds nothing to claim.
		time.Sleep(2 * w.Lease)
		jobs, err := st.Claim(context.Background(), 10, w.Lease.Milliseconds())
		if err != nil || len(jobs) != 0 {
			t.Fatalf("another node claimed %d jobs (%v) while the delivery ran, want none", len(jobs), err)
		}
		close(release)
	})
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
