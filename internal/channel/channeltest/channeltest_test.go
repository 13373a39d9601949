package channeltest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// The harness runs a whole Loket: a message posted to a channel shows as a
// ticket through the API, and a reply is delivered by the outbox.
func TestStart_ReceivesAndDelivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := channeltest.Start(t, st, channeltest.Options{}, func(*desk.Desk) []channel.Adapter { return []channel.Adapter{api.New()} })
		var ch struct {
			ID    int64  `json:"id"`
			Token string `json:"inbound_token"`
		}
		shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		defer shop.Close()
		e.Do("POST", "/api/v1/channels", fmt.Sprintf(`{"kind":"api","name":"Shop","team_id":%d,"settings":{"webhook_url":%q,"secret":"0123456789abcdef0123"}}`, e.Team, shop.URL), 201, &ch)
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channels/%d/inbound", e.URL, ch.ID),
			strings.NewReader(`{"external_id":"m1","from":{"email":"jan@example.com"},"text":"Waar blijft mijn pakket?"}`))
		req.Header.Set("Authorization", "Bearer "+ch.Token)
		req.Header.Set("Content-Type", "application/json")
		e.Check(req, 201, nil)
		tickets := e.Tickets()
		if len(tickets) != 1 || tickets[0].ChannelID != ch.ID {
			t.Fatalf("tickets %+v, want one on channel %d", tickets, ch.ID)
		}
		out := e.Reply(tickets[0].ID, `{"text":"Hij komt morgen."}`, 201)
		e.Wait("the reply to be delivered", func() bool { return e.Message(out.ID).DeliveryStatus == domain.DeliveryDelivered })
		if got := e.Contact(tickets[0].ContactID).Identities; len(got) != 1 || got[0].Value != "jan@example.com" {
			t.Errorf("contact identities %v", got)
		}
		if len(e.Events.Of(domain.EventTicketCreated)) != 1 {
			t.Errorf("want one ticket.created event")
		}
	})
}
