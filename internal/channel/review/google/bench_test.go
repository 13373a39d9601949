package google

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/channel/review"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// BenchmarkPollParseIngest measures what a poll costs the server once
// Google has a page of 50 new reviews: the list call to the fake Google
// over HTTP (token cached), building the payload, Parse and Desk.Ingest,
// which opens 50 public tickets on SQLite. A review's time from the site
// to a ticket is at most the poll interval plus this. cpu-ms/page is the
// process's CPU time (the fake Google's included), which a loaded machine
// disturbs less than the wall clock.
func BenchmarkPollParseIngest(b *testing.B) {
	f := newFakeGoogle(b)
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	e := channeltest.Start(b, storetest.Open(b, store.SQLite), channeltest.Options{}, func(*desk.Desk) []channel.Adapter {
		return []channel.Adapter{New(f.config(clock))}
	})
	a := New(f.config(clock))
	created := e.CreateChannel(Kind, fmt.Sprintf(`{"account_id":%q,"location_id":%q,"client_id":%q,"client_secret":%q,"refresh_token":%q}`,
		account, location, clientID, clientSecret, refreshToken))
	ch, err := e.Store.Channel(context.Background(), created.ID)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cur := ""
	n := 0
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for range 50 {
			n++
			t := at.Add(time.Duration(n) * time.Second)
			f.add(gReview(fmt.Sprintf("bench-%06d", n), "THREE", t, t))
		}
		at = at.Add(time.Hour)
		before := cpuTime()
		b.StartTimer()
		body, next, err := a.Poll(ctx, ch, cur)
		if err != nil {
			b.Fatal(err)
		}
		res, err := e.Desk.Ingest(ctx, ch, review.ContentType, body)
		if err != nil || res.DeadLetter != 0 || len(res.Received) != 50 {
			b.Fatalf("page %d: %d received, dead letter %d, %v", i, len(res.Received), res.DeadLetter, err)
		}
		cur = next
		b.StopTimer()
		cpu += cpuTime() - before
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/page")
	b.ReportMetric(float64(b.N*50)/b.Elapsed().Seconds(), "reviews/s")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPollParse is the adapter's own share of BenchmarkPollParseIngest:
// the same poll of 50 new reviews and their parse, without storing them.
func BenchmarkPollParse(b *testing.B) {
	f := newFakeGoogle(b)
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	a := New(f.config(func() time.Time { return at }))
	ch := f.channel()
	ctx := context.Background()
	cur := ""
	n := 0
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for range 50 {
			n++
			t := at.Add(time.Duration(n) * time.Second)
			f.add(gReview(fmt.Sprintf("bench-%06d", n), "THREE", t, t))
		}
		at = at.Add(time.Hour)
		before := cpuTime()
		b.StartTimer()
		body, next, err := a.Poll(ctx, ch, cur)
		if err != nil {
			b.Fatal(err)
		}
		batch, err := a.Parse(ch, review.ContentType, body, "")
		if err != nil || len(batch.Messages) != 50 {
			b.Fatalf("page %d: %d messages, %v", i, len(batch.Messages), err)
		}
		cur = next
		b.StopTimer()
		cpu += cpuTime() - before
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/page")
}
