package store_test

import (
	"context"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestTickets_ListNamesTheRequesterAndPreviewsTheNewestMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		jan := &domain.Contact{Name: "Jan Jansen"}
		anon := &domain.Contact{}
		for _, c := range []*domain.Contact{jan, anon} {
			if err := st.CreateContact(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		open := func(c *domain.Contact, texts ...string) *domain.Ticket {
			tk := &domain.Ticket{ContactID: c.ID, Subject: "question", Status: domain.StatusNew, Priority: domain.PriorityNormal}
			if err := st.CreateTicket(ctx, tk); err != nil {
				t.Fatal(err)
			}
			for _, text := range texts {
				m := &domain.Message{TicketID: tk.ID, Kind: domain.KindMessage, Direction: domain.DirectionIn, AuthorType: domain.AuthorContact, Text: text, CreatedAt: store.Now()}
				if _, err := st.InsertMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			ev := &domain.Message{TicketID: tk.ID, Kind: domain.KindEvent, AuthorType: domain.AuthorSystem, Text: "status new → open", CreatedAt: store.Now()}
			if _, err := st.InsertMessage(ctx, ev); err != nil {
				t.Fatal(err)
			}
			return tk
		}
		long := strings.Repeat("é", 300)
		a := open(jan, "first question", "Where is\n\n   my bike?")
		b := open(anon, long)
		c := open(jan)
		page, err := st.Tickets(ctx, store.TicketFilter{Viewer: domain.Viewer{Role: domain.RoleAdmin}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]*domain.Ticket{}
		for _, tk := range page.Tickets {
			got[tk.ID] = tk
		}
		if g := got[a.ID]; g.Requester != "Jan Jansen" || g.LastMessage != "Where is my bike?" {
			t.Errorf("ticket a: requester %q, last message %q", g.Requester, g.LastMessage)
		}
		if g := got[b.ID]; g.Requester != anon.Number || g.LastMessage != long[:160*2] {
			t.Errorf("ticket b: requester %q (want the customer number %s), last message of %d characters", g.Requester, anon.Number, len([]rune(g.LastMessage)))
		}
		if g := got[c.ID]; g.LastMessage != "" {
			t.Errorf("ticket without messages previews %q", g.LastMessage)
		}
	})
}
