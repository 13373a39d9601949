package desk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// flakyBlobs is the real directory store, failing while down is set.
type flakyBlobs struct {
	*blob.Dir
	down atomic.Bool
}

func (f *flakyBlobs) Put(ctx context.Context, data []byte) (string, error) {
	if f.down.Load() {
		return "", errors.New("disk unavailable")
	}
	return f.Dir.Put(ctx, data)
}

// A payload kept as a dead letter after a passing fault is tried again on
// its own once its wait has passed, and then stored once.
func TestRetryDeadLetters_TriesAgainAfterTheWait(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, "", nil)
		dir, err := blob.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		blobs := &flakyBlobs{Dir: dir}
		var now atomic.Int64
		now.Store(store.Now())
		d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New()), Region: "NL",
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now.Load})
		t.Cleanup(d.Close)

		blobs.down.Store(true)
		payload := []byte(`{"external_id":"dl-1","from":{"email":"jan@example.com"},"text":"Zie bijlage",
			"attachments":[{"filename":"bon.txt","content_type":"text/plain","data":"aGFsbG8="}]}`)
		res, err := d.Ingest(ctx, f.ch, "application/json", payload)
		if err != nil || res.DeadLetter == 0 {
			t.Fatalf("ingest: %+v, %v; want a dead letter", res, err)
		}
		blobs.down.Store(false)
		if n, err := d.RetryDeadLetters(ctx); err != nil || n != 0 {
			t.Fatalf("retried %d (%v) before the wait passed, want none", n, err)
		}
		// The store stamps dead letters with the real clock, which the
		// desk's clock started at.
		now.Store(store.Now() + 61_000)
		if n, err := d.RetryDeadLetters(ctx); err != nil || n != 1 {
			t.Fatalf("retried %d (%v) after the wait, want the dead letter", n, err)
		}
		if left, err := st.DeadLetters(ctx); err != nil || len(left) != 0 {
			t.Fatalf("%d dead letters left (%v), want none", len(left), err)
		}
		if m, err := st.MessageByExternalID(ctx, f.ch.ID, "dl-1"); err != nil || m.Text != "Zie bijlage" {
			t.Fatalf("message %+v (%v), want it stored", m, err)
		}
		if n, err := d.RetryDeadLetters(ctx); err != nil || n != 0 {
			t.Fatalf("retried %d (%v) once resolved, want none", n, err)
		}
	})
}

// Two nodes on one database receive the same customers' messages at once,
// in opposite orders and some twice: every message is stored exactly once
// and none fails, however their transactions collide.
func TestReceive_TwoNodesCollidingStoreEveryMessageOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, "", nil)
		nodes := []*desk.Desk{f.desk}
		second := desk.New(desk.Config{Store: st, Blobs: f.blobs(t), Channels: channel.NewRegistry(api.New()), Region: "NL",
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		t.Cleanup(second.Close)
		nodes = append(nodes, second)
		const customers, each = 30, 8
		var wg sync.WaitGroup
		errs := make(chan error, 2*customers*each)
		for n, node := range nodes {
			for k := range customers * each {
				wg.Go(func() {
					i := k
					if n == 1 {
						i = customers*each - 1 - k // the other node goes the other way
					}
					c := i % customers
					in := &channel.Inbound{ChannelID: f.ch.ID, ExternalID: fmt.Sprintf("m%d", i),
						From: domain.Identity{Kind: domain.IdentityEmail, Value: fmt.Sprintf("c%d@example.nl", c)},
						Also: []domain.Identity{{Kind: domain.IdentityPhone, Value: fmt.Sprintf("+31612%06d", c)}}, Text: "hallo"}
					if _, err := node.Receive(ctx, in); err != nil {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if tickets, total := countStored(t, st); tickets != customers || total != customers*each {
			t.Fatalf("%d tickets with %d messages, want %d with %d", tickets, total, customers, customers*each)
		}
	})
}

func (f *fixture) blobs(t *testing.T) blob.Store {
	dir, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
