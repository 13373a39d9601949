package desk_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestMentions_FindsAgentsByMarkupOrExactName(t *testing.T) {
	agents := []*domain.Agent{
		{ID: 1, Name: "Jan"},
		{ID: 2, Name: "Jan de Vries"},
		{ID: 3, Name: "Petra"},
		{ID: 4, Name: "Kim"},
		{ID: 5, Name: "Kim"},
		{ID: 6, Name: "Olaf", Disabled: true},
		{ID: 7, Name: "Zoë"},
	}
	tests := []struct {
		text string
		want []int64
	}{
		{"@Petra can you look?", []int64{3}},
		{"ask @petra, please", []int64{3}},
		{"@Jan de Vries knows", []int64{2}},
		{"@Jan, and @Jan de Vries too", []int64{1, 2}},
		{"@Jansen is nobody", nil},
		{"mail jan@Petra.example", nil},
		{"@Kim is two people", nil},
		{"@[Kim](agent:5) is one of them", []int64{5}},
		{"@[anything](agent:3)", []int64{3}},
		{"@[ghost](agent:99) does not exist", nil},
		{"@Olaf left the company", nil},
		{"@[Olaf](agent:6)", nil},
		{"@Petra @Petra (@Petra)", []int64{3}},
		{"(@Zoë) and @Petra.", []int64{7, 3}},
		{"no mention @ all", nil},
		{"@", nil},
	}
	for _, tt := range tests {
		if got := desk.Mentions(tt.text, agents); !slices.Equal(got, tt.want) {
			t.Errorf("Mentions(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestSend_NoteMentioningAgentsPublishesToThoseWhoMaySeeTheTicket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, "", nil)
		other := &domain.Team{Name: "Billing"}
		if err := st.CreateTeam(ctx, other); err != nil {
			t.Fatal(err)
		}
		agent := func(name string, role domain.Role, team int64) *domain.Agent {
			a := &domain.Agent{Email: fmt.Sprintf("%s@example.com", name), Name: name, Role: role, Language: "en"}
			if err := st.CreateAgent(ctx, a, "x"); err != nil {
				t.Fatal(err)
			}
			if err := st.SetAgentTeams(ctx, a.ID, []int64{team}); err != nil {
				t.Fatal(err)
			}
			return a
		}
		writer := agent("Ada", domain.RoleAgent, f.team.ID)
		colleague := agent("Petra", domain.RoleAgent, f.team.ID)
		agent("Olaf", domain.RoleAgent, other.ID)
		boss := agent("Sam", domain.RoleSupervisor, other.ID)
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Text: "help"})

		tests := []struct {
			name string
			note bool
			text string
			want []int64
		}{
			{"colleague and supervisor", true, "@Petra and @Sam, see above", []int64{colleague.ID, boss.ID}},
			{"not the writer", true, "note to self @Ada", nil},
			{"not who may not see the ticket", true, "@Olaf @Petra", []int64{colleague.ID}},
			{"replies mention nobody", false, "@Petra", nil},
		}
		for _, tt := range tests {
			f.events.mu.Lock()
			f.events.events = nil
			f.events.mu.Unlock()
			out := &desk.Outgoing{TicketID: r.Ticket.ID, Note: tt.note, Text: tt.text, AuthorType: domain.AuthorAgent, AuthorID: writer.ID}
			m, err := f.desk.Send(ctx, out)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var got []int64
			f.events.mu.Lock()
			for _, ev := range f.events.events {
				if ev.Type != domain.EventAgentMentioned {
					continue
				}
				got = append(got, ev.AssigneeID)
				if ev.TeamID != 0 || ev.MessageID != m.ID || ev.Agent == nil || ev.Agent.ID != writer.ID || ev.Agent.Name != "Ada" {
					t.Errorf("%s: event %+v", tt.name, ev)
				}
			}
			f.events.mu.Unlock()
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: mentioned %v, want %v", tt.name, got, tt.want)
			}
		}
	})
}
