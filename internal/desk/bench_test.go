package desk_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// BenchmarkReceive_SQLite measures the one way in, without HTTP: 64
// concurrent receivers, 3,000 customers, every message durable.
func BenchmarkReceive_SQLite(b *testing.B) {
	st := storetest.Open(b, store.SQLite)
	f := newFixture(&testing.T{}, st, "", nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				in := &channel.Inbound{ChannelID: f.ch.ID, ExternalID: fmt.Sprintf("m%d", i),
					From: domain.Identity{Kind: domain.IdentityEmail, Value: fmt.Sprintf("c%d@example.nl", i%3000)}, Text: "Where is my order?"}
				if _, err := f.desk.Receive(context.Background(), in); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}
