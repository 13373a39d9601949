package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/metrics"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestMetrics_AdminsScrapeTheNodesFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		reg := metrics.New()
		counted := metrics.RegisterLoket(reg, metrics.Facts{Store: st})
		e := newNode(t, st, true, func(c *httpapi.Config) { c.Metrics = reg })
		e.hub.Listen(counted)
		e.post(`{"external_id":"m1","from":{"email":"jan@example.com"},"text":"Hallo"}`, 201)

		e.do("GET", "/metrics", "", "", http.StatusUnauthorized, nil)
		req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != metrics.ContentType {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, want := range []string{
			`loket_messages_total{channel="1",direction="in"} 1`,
			`loket_http_request_duration_seconds_count{route="POST /api/v1/channels/{id}/inbound",method="POST",code="201"} 1`,
			"loket_outbox_pending 0",
			"loket_tasks_pending 0",
			"loket_dead_letters 0",
			`loket_channel_healthy{channel="1",kind="api"} 1`,
			"loket_sla_breached_open_tickets 0",
		} {
			if !strings.Contains(string(body), want+"\n") {
				t.Errorf("metrics lack %q:\n%s", want, body)
			}
		}
	})
}
