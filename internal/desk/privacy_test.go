package desk_test

import (
	"context"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestRetention_ErasesTheContentOfTicketsSolvedLongerAgo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newCallFixture(t, st)
		f.ch.RetentionDays = 30
		if err := st.UpdateChannel(ctx, f.ch); err != nil {
			t.Fatal(err)
		}
		day := 24 * time.Hour.Milliseconds()
		receive := func(id, from, text string) *desk.Received {
			r, err := f.desk.Receive(ctx, &channel.Inbound{ChannelID: f.ch.ID, ExternalID: id, Text: text,
				From:        domain.Identity{Kind: domain.IdentityEmail, Value: from},
				Attachments: []channel.Attachment{{Filename: id + ".txt", ContentType: "text/plain", Data: []byte("bon " + id)}}})
			if err != nil {
				t.Fatal(err)
			}
			solved := domain.StatusSolved
			if _, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Status: &solved}); err != nil {
				t.Fatal(err)
			}
			return r
		}
		old := receive("m1", "jan@example.nl", "Mijn adres is Dorpsstraat 1")
		f.now += 20 * day
		recent := receive("m2", "piet@example.nl", "Graag terugbellen")
		f.now += 11 * day
		done, err := f.desk.ApplyRetention(ctx)
		if err != nil || done[f.ch.ID] != 1 {
			t.Fatalf("erased %v (%v): want the one ticket solved 31 days ago", done, err)
		}
		msgs, err := st.Messages(ctx, old.Ticket.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Text != "" || len(m.Attachments) != 0 {
				t.Errorf("entry %d of the old ticket still holds %q and %d files", m.ID, m.Text, len(m.Attachments))
			}
		}
		if tk, _ := st.Ticket(ctx, old.Ticket.ID); tk.Subject != "" || tk.SolvedAt == 0 {
			t.Errorf("old ticket %+v: want its subject gone and its times kept", tk)
		}
		if c, _ := st.Contact(ctx, old.Contact.ID); len(c.Identities) != 1 {
			t.Errorf("contact %+v: retention keeps the customer", c)
		}
		kept, err := st.Messages(ctx, recent.Ticket.ID, 0, 0)
		if err != nil || kept[0].Text != "Graag terugbellen" || len(kept[0].Attachments) != 1 {
			t.Errorf("the recent ticket lost its content: %+v (%v)", kept, err)
		}
		if again, err := f.desk.ApplyRetention(ctx); err != nil || again[f.ch.ID] != 0 {
			t.Errorf("a second run erased %v (%v), want nothing", again, err)
		}
	})
}
