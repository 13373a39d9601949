package telegram

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// BenchmarkWebhook measures a Telegram update from the webhook POST to its
// answer, which comes only once the message is committed: the secret
// check, parsing, the desk's group commit on SQLite and the answer, with
// updates from 500 customers arriving eight per core at a time.
func BenchmarkWebhook(b *testing.B) {
	f := newFakeBot(b)
	e, id := loket(b, storetest.Open(b, store.SQLite), f, publicURL)
	url := fmt.Sprintf("%s/api/v1/telegram/%d/webhook", e.URL, id)
	var n atomic.Int64
	b.SetParallelism(8) // eight callers per core
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			from := 1000 + i%500
			body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Klant","language_code":"nl"},`+
				`"chat":{"id":%d,"type":"private"},"date":1733580000,"text":"Waar blijft bestelling %d?"}}`, i, i, from, from, i)
			req, _ := http.NewRequest("POST", url, bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s3cr3t-token")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}
