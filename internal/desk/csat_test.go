package desk_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestRateTicket_StoresOneRatingOfASolvedTicketAndPublishesIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, "", nil)
		r := f.receive(t, channel.Inbound{ExternalID: "c1", From: email(t, "jan@example.nl"), Text: "Help"})
		if _, err := f.desk.RateTicket(ctx, r.Ticket.ID, 5, ""); !isCode(err, "not_solved") {
			t.Fatalf("rating an open ticket: %v", err)
		}
		solved := domain.StatusSolved
		if _, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Status: &solved}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			score   int
			comment string
			code    string
		}{
			{"score too low", 0, "", "invalid_score"},
			{"score too high", 6, "", "invalid_score"},
			{"comment too long", 3, strings.Repeat("x", 2001), "invalid_comment"},
			{"valid", 4, "  Quick and friendly  ", ""},
			{"twice", 2, "", "already_rated"},
		}
		for _, tt := range tests {
			before := len(f.events.types())
			got, err := f.desk.RateTicket(ctx, r.Ticket.ID, tt.score, tt.comment)
			if tt.code != "" {
				if !isCode(err, tt.code) {
					t.Errorf("%s: err = %v, want %s", tt.name, err, tt.code)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got.CSATScore != 4 || got.CSATComment != "Quick and friendly" || got.CSATAt == 0 {
				t.Errorf("%s: rated %+v", tt.name, got)
			}
			if types := f.events.types()[before:]; len(types) != 1 || types[0] != domain.EventTicketUpdated {
				t.Errorf("%s: events %v", tt.name, types)
			}
		}
		stored, _ := st.Ticket(ctx, r.Ticket.ID)
		if stored.CSATScore != 4 || stored.CSATComment != "Quick and friendly" {
			t.Fatalf("stored %d %q", stored.CSATScore, stored.CSATComment)
		}
	})
}

func isCode(err error, code string) bool {
	var de *domain.Error
	return errors.As(err, &de) && de.Code == code
}
