package sms

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"loket.dev/loket/internal/channel/twiliohook"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// BenchmarkWebhook measures Twilio webhook posts through the whole server
// on SQLite: signature check, parse, the desk's commit, TwiML answer. 16
// posters send different messages from 500 customers.
func BenchmarkWebhook(b *testing.B) {
	s := startSMS(b, storetest.Open(b, store.SQLite))
	hook := fmt.Sprintf("%s/api/v1/sms/%d/webhook", s.URL, s.twilioCh.ID)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			form := incoming(fmt.Sprintf("SM%032d", i), fmt.Sprintf("+316100%05d", i%500), fmt.Sprintf("Waar blijft bestelling %d?", i))
			req, _ := http.NewRequest("POST", hook, bytes.NewReader([]byte(form.Encode())))
			req.Header.Set("Content-Type", contentTypeForm)
			req.Header.Set("X-Twilio-Signature", twiliohook.Sign(testAuthToken, hook, url.Values(form)))
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("webhook answered %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}
