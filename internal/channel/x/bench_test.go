package x

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// BenchmarkMentionToTicket measures what follows the poll interval: from
// a mention being on X (the fake, over loopback HTTP) to it being
// committed on a ticket in a whole Loket on SQLite. One op is one poll:
// the signed mention and direct message reads, the parse and the desk's
// commit. Sub-benchmarks put 1 and 20 new mentions, from 500 customers,
// on X before each poll. Besides the latency from posting to committed
// (p50, p99) it reports the mean time of the poll (X's two reads, over
// loopback) and of the ingest (parse, contact, public ticket, commit).
func BenchmarkMentionToTicket(b *testing.B) {
	for _, perPoll := range []int{1, 20} {
		b.Run(fmt.Sprintf("mentions=%d", perPoll), func(b *testing.B) {
			f := newFakeX(b)
			a := New(Config{})
			e := channeltest.Start(b, storetest.Open(b, store.SQLite), channeltest.Options{}, func(*desk.Desk) []channel.Adapter {
				return []channel.Adapter{a}
			})
			ctx := context.Background()
			created := e.CreateChannel(Kind, f.settings())
			ch, err := e.Store.Channel(ctx, created.ID)
			if err != nil {
				b.Fatal(err)
			}
			for i := range 500 {
				f.addUser(fmt.Sprint(5000+i), fmt.Sprintf("klant%d", i), fmt.Sprintf("Klant %d", i))
			}
			_, cursor, err := a.Poll(ctx, ch, "")
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			var lat []time.Duration
			var polling, ingesting time.Duration
			n := 0
			b.ResetTimer()
			for range b.N {
				posted := time.Now()
				for range perPoll {
					f.mention(fmt.Sprint(5000+n%500), fmt.Sprintf("@AcmeSupport waar blijft bestelling %d?", n), "", start)
					n++
				}
				body, next, err := a.Poll(ctx, ch, cursor)
				if err != nil || len(body) == 0 {
					b.Fatalf("poll: %v (%d bytes)", err, len(body))
				}
				read := time.Now()
				polling += read.Sub(posted)
				if _, err := e.Desk.Ingest(ctx, ch, "application/json", body); err != nil {
					b.Fatal(err)
				}
				ingesting += time.Since(read)
				cursor = next
				lat = append(lat, time.Since(posted))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "mentions/s")
			b.ReportMetric(float64(polling.Microseconds())/1000/float64(b.N), "poll-ms/op")
			b.ReportMetric(float64(ingesting.Microseconds())/1000/float64(b.N), "ingest-ms/op")
		})
	}
}
