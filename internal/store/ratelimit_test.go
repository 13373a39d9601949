package store_test

import (
	"context"
	"testing"

	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestAllow_CountsActsWithinTheRateOnEveryDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const now, interval, burst = int64(1_000_000), int64(12_000), int64(60_000)
		for i := range 5 {
			if done, err := st.Exhausted(ctx, "k", now, interval, burst); err != nil || done {
				t.Fatalf("before act %d: exhausted %v (%v)", i+1, done, err)
			}
			if ok, err := st.Allow(ctx, "k", now, interval, burst); err != nil || !ok {
				t.Fatalf("act %d: allowed %v (%v), want within the burst", i+1, ok, err)
			}
		}
		if done, err := st.Exhausted(ctx, "k", now, interval, burst); err != nil || !done {
			t.Fatalf("after the burst: exhausted %v (%v)", done, err)
		}
		if ok, err := st.Allow(ctx, "k", now, interval, burst); err != nil || ok {
			t.Fatalf("a sixth act: allowed %v (%v)", ok, err)
		}
		if ok, err := st.Allow(ctx, "k", now+interval, interval, burst); err != nil || !ok {
			t.Fatalf("one interval later: allowed %v (%v), want one more", ok, err)
		}
		if ok, _ := st.Allow(ctx, "other", now, interval, burst); !ok {
			t.Error("another key shares the count")
		}
		if n, err := st.PruneRateLimits(ctx, now+10*burst); err != nil || n != 2 {
			t.Errorf("pruned %d (%v), want both keys back at their full allowance", n, err)
		}
	})
}
