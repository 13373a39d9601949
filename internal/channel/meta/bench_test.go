package meta

import (
	"fmt"
	"sync/atomic"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// BenchmarkWebhook measures signed Messenger webhooks posted to a whole
// Loket on SQLite, each answered once its text message is committed;
// eight posters at once, as Meta delivers in parallel, from 500
// customers whose profiles are looked up once each and then cached.
func BenchmarkWebhook(b *testing.B) {
	g := newFakeGraph(b)
	e := channeltest.Start(b, storetest.Open(b, store.SQLite), channeltest.Options{}, func(*desk.Desk) []channel.Adapter {
		return []channel.Adapter{Messenger(Config{})}
	})
	ch := e.CreateChannel(KindMessenger, g.settings(KindMessenger))
	var n atomic.Int64
	b.SetParallelism(4) // with 2 CPUs: 8 posters
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Appendf(nil, `{"object":"page","entry":[{"id":%q,"time":1765105200000,"messaging":[{"sender":{"id":%q},"recipient":{"id":%q},"timestamp":1765105199000,"message":{"mid":"m_bench-%d","text":"Waar blijft bestelling %d?"}}]}]}`,
				pageID, fmt.Sprint(100000+i%500), pageID, i, i)
			status, answer := e.Post(KindMessenger, ch.ID, "webhook", "application/json", body, sign(appSecret, body))
			if status != 200 {
				b.Errorf("webhook %d: %s", status, answer)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "webhooks/s")
}
