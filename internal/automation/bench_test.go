package automation_test

import (
	"context"
	"fmt"
	"testing"

	"loket.dev/loket/internal/automation"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// BenchmarkEventsToQueuedMessages measures external events through the
// order rule to queued messages: each event is stored with its trigger,
// the rule runs, a ticket is opened and the templated message queued in
// the outbox. It reports events per second.
func BenchmarkEventsToQueuedMessages(b *testing.B) {
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			st := storetest.Open(b, dialect)
			s := startShop(b, st)
			s.Do("POST", "/api/v1/templates", `{"name":"order-delivery","language":"en","body":"Your order {{.order.number}} arrives on {{.order.delivery_date | date}}."}`, 201, nil)
			s.Do("POST", "/api/v1/rules", fmt.Sprintf(`{"name":"Order","trigger":"event","event_name":"order.placed",
				"actions":[{"type":"send_template","template":"order-delivery","channel_ids":[%d]}]}`, s.channel), 201, nil)
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				in := automation.EventInput{Name: "order.placed", IdempotencyKey: fmt.Sprintf("%s-%d-%d", b.Name(), b.N, i),
					Contact: automation.ContactRef{Email: fmt.Sprintf("c%d@example.nl", i%500)},
					Data:    map[string]any{"order": map[string]any{"number": i, "delivery_date": "2026-12-09"}}}
				if _, _, err := s.Rules.PostEvent(ctx, in, "bench", "NL"); err != nil {
					b.Fatal(err)
				}
			}
			s.idle()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
