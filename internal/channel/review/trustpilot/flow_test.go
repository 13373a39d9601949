package trustpilot

import (
	"fmt"
	"testing"
	"time"

	"loket.dev/loket/internal/channel/review/reviewtest"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestFlow_ReviewsOfOneConsumerShareAContactAndAnApprovedReplyIsPostedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeTrustpilot(t)
		at := time.Now().Add(-3 * time.Hour)
		first := tReview("65a1b2c3d4e5f60718293a4b", 1, at)
		first.Title, first.Text, first.Language = "Parcel never arrived", "Ordered on the 3rd, still nothing.", "da"
		again := tReview("65a1b2c3d4e5f60718293a4c", 3, at.Add(time.Hour))
		again.Consumer = first.Consumer
		f.add(first, again)
		settings := fmt.Sprintf(`{"business_unit_id":%q,"business_user_id":%q,"username":%q,"password":%q,"api_key":%q,"api_secret":%q}`,
			businessUnit, businessUser, username, password, apiKey, apiSecret)
		// The wall clock: the runner's first poll looks back 30 days from now.
		e := reviewtest.Start(t, st, New(f.config(nil)), settings)

		ts := e.WaitTickets(2)
		if ts[0].ContactID != ts[1].ContactID {
			t.Errorf("one consumer's two reviews on contacts %d and %d", ts[0].ContactID, ts[1].ContactID)
		}
		var tk int64
		for _, x := range ts {
			if d := e.Ticket(x.ID); d.Messages[0].ExternalID == first.ID {
				tk = x.ID
				m := d.Messages[0]
				if !d.Public || m.Subject != "★☆☆☆☆ Parcel never arrived" || m.Public.Rating != 1 ||
					m.Public.URL != "https://www.trustpilot.com/reviews/"+first.ID || m.Public.AuthorURL != "https://www.trustpilot.com/users/"+first.Consumer.ID {
					t.Errorf("ticket public %v, message %+v %+v", d.Public, m, m.Public)
				}
			}
		}
		if c := e.Contact(ts[0].ContactID); c.Name != first.Consumer.DisplayName {
			t.Errorf("contact %+v", c)
		}

		writer := e.Agent("writer@example.com", domain.RoleAgent)
		lead := e.Agent("lead@example.com", domain.RoleSupervisor)
		var reply domain.Message
		e.As(writer, "POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk), `{"text":"We are sorry. The parcel was resent today."}`, 201, &reply)
		e.As(lead, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 200, nil)
		e.Wait("the reply sent", func() bool { return e.Message(reply.ID).DeliveryStatus == domain.DeliverySent })
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.replies) != 1 || f.replies[0] != first.ID+": We are sorry. The parcel was resent today." {
			t.Fatalf("Trustpilot got %v, want the reply once", f.replies)
		}
	})
}
