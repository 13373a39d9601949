package store_test

import (
	"context"
	"fmt"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// Message text reaches SQLite's full-text index in batches after the
// commit; a search must still find every committed message, and the index
// must stay consistent with the messages table.
func TestIndexText_SearchesSeeEveryCommittedMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := &domain.Contact{Name: "Jan"}
		if err := st.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		add := func(word string) *domain.Ticket {
			tk := &domain.Ticket{ContactID: c.ID, Subject: "question", Status: domain.StatusNew, Priority: domain.PriorityNormal}
			if err := st.CreateTicket(ctx, tk); err != nil {
				t.Fatal(err)
			}
			m := &domain.Message{TicketID: tk.ID, Kind: domain.KindMessage, Direction: domain.DirectionIn,
				AuthorType: domain.AuthorContact, Text: "about my " + word, CreatedAt: store.Now()}
			if _, err := st.InsertMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			return tk
		}
		search := func(word string) []int64 {
			page, err := st.Tickets(ctx, store.TicketFilter{Viewer: domain.Viewer{Role: domain.RoleAdmin}, Text: word})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, tk := range page.Tickets {
				ids = append(ids, tk.ID)
			}
			return ids
		}
		bike := add("bicycle")
		if got := search("bicycle"); fmt.Sprint(got) != fmt.Sprint([]int64{bike.ID}) {
			t.Fatalf("search right after the insert found %v, want [%d]", got, bike.ID)
		}
		// Messages stored between runs are indexed together by the next one.
		tent, kayak := add("tent"), add("kayak")
		n, err := st.IndexText(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(2); st.Dialect() == store.SQLite && n != want {
			t.Errorf("indexed %d messages, want %d", n, want)
		}
		if n, _ := st.IndexText(ctx); n != 0 {
			t.Errorf("a second run indexed %d messages again", n)
		}
		if got := search("kayak"); fmt.Sprint(got) != fmt.Sprint([]int64{kayak.ID}) {
			t.Errorf("kayak: %v", got)
		}
		if got := search("tent"); fmt.Sprint(got) != fmt.Sprint([]int64{tent.ID}) {
			t.Errorf("tent: %v", got)
		}
		if st.Dialect() == store.SQLite {
			if err := st.CheckTextIndex(ctx); err != nil {
				t.Fatalf("full-text index inconsistent: %v", err)
			}
		}
	})
}
