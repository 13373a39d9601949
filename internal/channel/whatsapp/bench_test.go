package whatsapp_test

import (
	"bytes"
	"fmt"
	"io"
	"loket.dev/loket/internal/channel/metahook"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// BenchmarkWebhook measures customer text messages per second from a
// signed webhook POST to committed, through the whole HTTP server and desk
// on SQLite, with 64 deliveries at once (as bench ingest) from 500
// customers.
func BenchmarkWebhook(b *testing.B) {
	g := newFakeGraph(b)
	e, ch := loket(b, storetest.Open(b, store.SQLite), g, channeltest.Options{})
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = change(fmt.Sprintf(`"contacts":[{"profile":{"name":"Customer %d"},"wa_id":"316%08d"}],`+
			`"messages":[{"from":"316%08d","id":"wamid.BENCH-%d","timestamp":"1750090702","type":"text","text":{"body":"Where is order %d?"}}]`,
			i%500, 10000000+i%500, 10000000+i%500, i, i))
	}
	url := fmt.Sprintf("%s/api/v1/whatsapp/%d/webhook", e.URL, ch.ID)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 64 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(metahook.SignatureHeader, metahook.Sign(appSecret, bodies[i]))
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Store(fmt.Sprintf("%d %s", resp.StatusCode, answer))
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
