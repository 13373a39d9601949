package desk_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// lastEventMeta decodes the meta of the newest event on a ticket's timeline.
func lastEventMeta(t *testing.T, st *store.Store, ticketID int64) map[string]any {
	t.Helper()
	msgs, err := st.Messages(context.Background(), ticketID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Kind == domain.KindEvent {
			var m map[string]any
			if err := json.Unmarshal(msgs[i].Meta, &m); err != nil {
				t.Fatalf("event %q has no structured meta: %v", msgs[i].Text, err)
			}
			return m
		}
	}
	t.Fatal("no event on the timeline")
	return nil
}

func TestTimelineEvents_CarryTheirPlainValuesBesideTheEnglishText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f, clk := slaFixture(t, st)
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Text: "help"})

		urgent := domain.PriorityUrgent
		if _, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Priority: &urgent}); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"event": "ticket.changed", "changes": []any{map[string]any{"field": "priority", "from": "normal", "to": "urgent"}}}
		if got := lastEventMeta(t, st, r.Ticket.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("change meta %v, want %v", got, want)
		}

		anna := &domain.Agent{Email: "anna@example.nl", Name: "Anna", Role: domain.RoleAgent}
		if err := st.CreateAgent(ctx, anna, "x"); err != nil {
			t.Fatal(err)
		}
		if err := st.SetAgentTeams(ctx, anna.ID, []int64{f.team.ID}); err != nil {
			t.Fatal(err)
		}
		waited := 62465 * time.Millisecond
		if _, err := f.desk.Route(ctx, desk.Routing{TicketID: r.Ticket.ID, TeamID: f.team.ID, To: anna.ID, Reason: "most free", Waited: waited}); err != nil {
			t.Fatal(err)
		}
		got := lastEventMeta(t, st, r.Ticket.ID)
		if got["event"] != "routing.assigned" || got["agent"] != "Anna" || got["waited_ms"] != float64(62465) || got["agent_id"] != float64(anna.ID) {
			t.Fatalf("routing meta %v", got)
		}

		tk, _ := st.Ticket(ctx, r.Ticket.ID)
		clk.ms.Store(tk.FirstResponseDue + 1)
		if _, err := f.desk.CheckSLA(ctx, 100); err != nil {
			t.Fatal(err)
		}
		got = lastEventMeta(t, st, r.Ticket.ID)
		if got["event"] != "sla.breached" || got["target"] != "first_response" || got["due"] != float64(tk.FirstResponseDue) {
			t.Fatalf("breach meta %v (first response due %d)", got, tk.FirstResponseDue)
		}
	})
}
