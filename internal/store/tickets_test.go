package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// ticketFixture is a team, a channel and two contacts to hang tickets on.
type ticketFixture struct {
	st       *store.Store
	team     *domain.Team
	channel  *domain.Channel
	jan, ria *domain.Contact
}

func newTicketFixture(t *testing.T, st *store.Store) *ticketFixture {
	t.Helper()
	ctx := context.Background()
	f := &ticketFixture{st: st, team: &domain.Team{Name: "Support"},
		jan: &domain.Contact{Name: "Jan"}, ria: &domain.Contact{Name: "Ria"}}
	if err := st.CreateTeam(ctx, f.team); err != nil {
		t.Fatal(err)
	}
	f.channel = &domain.Channel{Kind: "api", Name: "Shop", TeamID: f.team.ID, Settings: []byte(`{}`)}
	if err := st.CreateChannel(ctx, f.channel, ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*domain.Contact{f.jan, f.ria} {
		if err := st.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// ticket creates a ticket of contact c with subject, updated at updated.
func (f *ticketFixture) ticket(t *testing.T, c *domain.Contact, subject string, updated int64, change func(*domain.Ticket)) *domain.Ticket {
	t.Helper()
	tk := &domain.Ticket{ContactID: c.ID, Subject: subject, Status: domain.StatusNew, Priority: domain.PriorityNormal,
		TeamID: f.team.ID, ChannelID: f.channel.ID, CreatedAt: updated}
	if err := f.st.CreateTicket(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(tk)
		if err := f.st.UpdateTicket(context.Background(), tk); err != nil {
			t.Fatal(err)
		}
	}
	return tk
}

func TestCreateTicket_NumbersTicketsInOrderAndReadsThemBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newTicketFixture(t, st)
		a := f.ticket(t, f.jan, "Where is my parcel?", 1000, nil)
		b := f.ticket(t, f.ria, "Refund", 2000, nil)
		if a.Number == 0 || b.Number != a.Number+1 {
			t.Errorf("numbers %d and %d, want consecutive numbers", a.Number, b.Number)
		}
		if a.Tags == nil || a.Skills == nil {
			t.Error("a new ticket's tags and skills are nil, want empty lists")
		}
		got, err := st.Ticket(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Number != a.Number || got.Subject != a.Subject || got.ContactID != f.jan.ID || got.TeamID != f.team.ID ||
			got.ChannelID != f.channel.ID || got.Status != domain.StatusNew || got.CreatedAt != 1000 || got.UpdatedAt != 1000 {
			t.Errorf("read back %+v, want what was created: %+v", got, a)
		}
		byNumber, err := st.TicketByNumber(ctx, b.Number)
		if err != nil || byNumber.ID != b.ID {
			t.Errorf("TicketByNumber(%d) = %v, %v; want ticket %d", b.Number, byNumber, err, b.ID)
		}
		for _, err := range []error{
			func() error { _, err := st.Ticket(ctx, b.ID+100); return err }(),
			func() error { _, err := st.TicketByNumber(ctx, b.Number+100); return err }(),
		} {
			if !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("a missing ticket gave %v, want ErrNotFound", err)
			}
		}
	})
}

func TestUpdateTicket_SavesEveryMutableFieldAndRejectsUnknownReferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newTicketFixture(t, st)
		tk := f.ticket(t, f.jan, "Broken zip", 1000, nil)
		tk.Subject, tk.Status, tk.Priority = "Broken zipper", domain.StatusPending, domain.PriorityHigh
		tk.FirstResponseAt, tk.LastAgentAt, tk.UpdatedAt = 1500, 1500, 1600
		tk.SLAPolicy, tk.FirstResponseDue, tk.SLADue, tk.SLABreached, tk.SLAFlags = "VIP", 1200, 1200, true, 3
		tk.SLAPausedAt, tk.SLANextCheck, tk.Skills, tk.BotState = 1550, 9000, []string{"nl", "billing"}, "handed_over"
		if err := st.UpdateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		got, err := st.Ticket(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != tk.Subject || got.Status != tk.Status || got.Priority != tk.Priority ||
			got.FirstResponseAt != 1500 || got.LastAgentAt != 1500 || got.UpdatedAt != 1600 ||
			got.SLAPolicy != "VIP" || got.FirstResponseDue != 1200 || got.SLADue != 1200 || !got.SLABreached || got.SLAFlags != 3 ||
			got.SLAPausedAt != 1550 || got.SLANextCheck != 9000 || !slices.Equal(got.Skills, tk.Skills) || got.BotState != "handed_over" {
			t.Errorf("read back %+v, want %+v", got, tk)
		}

		tk.AssigneeID = 999999
		var invalid *domain.Error
		if err := st.UpdateTicket(ctx, tk); !errors.As(err, &invalid) || invalid.Code != "unknown_reference" {
			t.Errorf("an unknown assignee gave %v, want unknown_reference", err)
		}
		missing := *got
		missing.ID += 100
		if err := st.UpdateTicket(ctx, &missing); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("updating a missing ticket gave %v, want ErrNotFound", err)
		}
	})
}

func TestSetTags_ReplacesTheTicketsTags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newTicketFixture(t, st)
		tk := f.ticket(t, f.jan, "Invoice", 1000, nil)
		for _, tags := range [][]string{{"vip", "billing"}, {"refund"}, {}} {
			if err := st.SetTags(ctx, tk.ID, tags); err != nil {
				t.Fatal(err)
			}
			got, err := st.Ticket(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Sorted(slices.Values(tags))
			if !slices.Equal(got.Tags, want) {
				t.Errorf("tags after SetTags(%v) = %v, want %v (sorted)", tags, got.Tags, want)
			}
		}
	})
}

func TestLatestTicketOnChannel_ReturnsTheContactsNewestTicketThere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newTicketFixture(t, st)
		if _, err := st.LatestTicketOnChannel(ctx, f.jan.ID, f.channel.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("without tickets: %v, want ErrNotFound", err)
		}
		f.ticket(t, f.jan, "first", 1000, nil)
		second := f.ticket(t, f.jan, "second", 2000, nil)
		f.ticket(t, f.ria, "someone else's", 3000, nil)
		got, err := st.LatestTicketOnChannel(ctx, f.jan.ID, f.channel.ID)
		if err != nil || got.ID != second.ID {
			t.Errorf("LatestTicketOnChannel = %v, %v; want ticket %d", got, err, second.ID)
		}
	})
}

func TestSetThread_PointsAThreadKeyAtTheLatestTicket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newTicketFixture(t, st)
		a := f.ticket(t, f.jan, "a", 1000, nil)
		b := f.ticket(t, f.jan, "b", 2000, nil)
		if _, err := st.TicketByThread(ctx, f.channel.ID, "conv-1"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("an unknown thread gave %v, want ErrNotFound", err)
		}
		for _, tk := range []*domain.Ticket{a, b} {
			if err := st.SetThread(ctx, f.channel.ID, "conv-1", tk.ID); err != nil {
				t.Fatal(err)
			}
			got, err := st.TicketByThread(ctx, f.channel.ID, "conv-1")
			if err != nil || got.ID != tk.ID {
				t.Errorf("TicketByThread = %v, %v; want ticket %d", got, err, tk.ID)
			}
		}
	})
}

func TestTickets_FiltersByEveryFieldAndHidesWhatTheViewerMayNotSee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newTicketFixture(t, st)
		other := &domain.Team{Name: "Billing"}
		if err := st.CreateTeam(ctx, other); err != nil {
			t.Fatal(err)
		}
		bo := &domain.Agent{Email: "bo@example.com", Name: "Bo", Role: domain.RoleAgent}
		if err := st.CreateAgent(ctx, bo, "x"); err != nil {
			t.Fatal(err)
		}
		open := f.ticket(t, f.jan, "Parcel lost", 1000, func(tk *domain.Ticket) { tk.Status = domain.StatusOpen; tk.UpdatedAt = 1000 })
		urgent := f.ticket(t, f.ria, "Card charged twice", 2000, func(tk *domain.Ticket) {
			tk.Priority, tk.UpdatedAt, tk.SLABreached, tk.SLADue = domain.PriorityUrgent, 2000, true, 5000
		})
		billing := f.ticket(t, f.ria, "Invoice copy", 3000, func(tk *domain.Ticket) {
			tk.TeamID, tk.AssigneeID, tk.UpdatedAt, tk.SLADue = other.ID, bo.ID, 3000, 4000
		})
		if err := st.SetTags(ctx, urgent.ID, []string{"refund"}); err != nil {
			t.Fatal(err)
		}
		admin := domain.Viewer{Role: domain.RoleAdmin}
		cases := []struct {
			name string
			f    store.TicketFilter
			want []*domain.Ticket
		}{
			{"all, most recently updated first", store.TicketFilter{Viewer: admin}, []*domain.Ticket{billing, urgent, open}},
			{"status", store.TicketFilter{Viewer: admin, Statuses: []domain.TicketStatus{domain.StatusOpen}}, []*domain.Ticket{open}},
			{"team", store.TicketFilter{Viewer: admin, TeamID: other.ID}, []*domain.Ticket{billing}},
			{"assignee", store.TicketFilter{Viewer: admin, AssigneeID: bo.ID}, []*domain.Ticket{billing}},
			{"unassigned", store.TicketFilter{Viewer: admin, AssigneeID: -1}, []*domain.Ticket{urgent, open}},
			{"channel", store.TicketFilter{Viewer: admin, ChannelID: f.channel.ID}, []*domain.Ticket{billing, urgent, open}},
			{"contact", store.TicketFilter{Viewer: admin, ContactID: f.jan.ID}, []*domain.Ticket{open}},
			{"priority", store.TicketFilter{Viewer: admin, Priority: domain.PriorityUrgent}, []*domain.Ticket{urgent}},
			{"tag", store.TicketFilter{Viewer: admin, Tag: "refund"}, []*domain.Ticket{urgent}},
			{"subject text", store.TicketFilter{Viewer: admin, Text: "parcel"}, []*domain.Ticket{open}},
			{"breached", store.TicketFilter{Viewer: admin, Breached: true}, []*domain.Ticket{urgent}},
			{"earliest due first", store.TicketFilter{Viewer: admin, SortDue: true}, []*domain.Ticket{billing, urgent}},
			{"an agent sees its own tickets", store.TicketFilter{Viewer: domain.Viewer{AgentID: bo.ID, Role: domain.RoleAgent}}, []*domain.Ticket{billing}},
			{"and its teams' tickets", store.TicketFilter{Viewer: domain.Viewer{AgentID: bo.ID, Role: domain.RoleAgent, TeamIDs: []int64{f.team.ID}}},
				[]*domain.Ticket{billing, urgent, open}},
		}
		for _, c := range cases {
			page, err := st.Tickets(ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got, want := ids(page.Tickets), ids(c.want); !slices.Equal(got, want) || page.Next != "" {
				t.Errorf("%s: tickets %v (next %q), want %v on one page", c.name, got, page.Next, want)
			}
		}
		page, err := st.Tickets(ctx, store.TicketFilter{Viewer: admin, Tag: "refund"})
		if err != nil || len(page.Tickets) != 1 || !slices.Equal(page.Tickets[0].Tags, []string{"refund"}) {
			t.Errorf("listed tickets come without their tags: %v, %v", page, err)
		}
	})
}

func TestTickets_PagesByCursorWithoutGapsOrRepeats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newTicketFixture(t, st)
		var want []int64
		var firstNumber int64
		for i := range 7 {
			// Pairs share an update time, so the id breaks the tie.
			tk := f.ticket(t, f.jan, fmt.Sprint("ticket ", i), int64(1000+i/2), nil)
			if i == 0 {
				firstNumber = tk.Number
			}
			want = append([]int64{tk.ID}, want...)
		}
		for _, sortDue := range []bool{false, true} {
			filter := store.TicketFilter{Viewer: domain.Viewer{Role: domain.RoleAdmin}, Limit: 3}
			if sortDue {
				filter.SortDue = true
				// Due in reverse order of id, pairs again sharing a time;
				// the earliest due comes first, then the lower id.
				want = nil
				for i := 6; i >= 0; i-- {
					tk, err := st.TicketByNumber(ctx, firstNumber+int64(i))
					if err != nil {
						t.Fatal(err)
					}
					tk.SLADue = int64(5000 + (6-i)/2)
					if err := st.UpdateTicket(ctx, tk); err != nil {
						t.Fatal(err)
					}
					want = append(want, tk.ID)
				}
				for i := 0; i+1 < len(want); i += 2 {
					want[i], want[i+1] = min(want[i], want[i+1]), max(want[i], want[i+1])
				}
			}
			var got []int64
			for pages := 0; ; pages++ {
				page, err := st.Tickets(ctx, filter)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(page.Tickets)...)
				if page.Next == "" {
					if pages != 2 {
						t.Errorf("sortDue %v: %d pages after the first, want 2", sortDue, pages)
					}
					break
				}
				filter.Cursor = page.Next
			}
			if !slices.Equal(got, want) {
				t.Errorf("sortDue %v: paged through %v, want %v", sortDue, got, want)
			}
		}
		var invalid *domain.Error
		_, err := st.Tickets(ctx, store.TicketFilter{Viewer: domain.Viewer{Role: domain.RoleAdmin}, Cursor: "not-a-cursor"})
		if !errors.As(err, &invalid) || invalid.Code != "invalid_cursor" {
			t.Errorf("a forged cursor gave %v, want invalid_cursor", err)
		}
	})
}

func ids(tickets []*domain.Ticket) []int64 {
	out := []int64{}
	for _, t := range tickets {
		out = append(out, t.ID)
	}
	return out
}
