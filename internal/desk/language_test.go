package desk_test

import (
	"context"
	"slices"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

const germanMail = "Guten Tag, ich habe letzte Woche eine Bestellung aufgegeben und sie ist noch nicht angekommen."

// member adds an agent with skills to the fixture's team.
func (f *fixture) member(t *testing.T, email string, skills ...string) {
	t.Helper()
	ctx := context.Background()
	a := &domain.Agent{Email: email, Name: email, Role: domain.RoleAgent, Routing: domain.Routing{Skills: skills}}
	if err := f.st.CreateAgent(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetAgentTeams(ctx, a.ID, []int64{f.team.ID}); err != nil {
		t.Fatal(err)
	}
}

func TestReceive_NewTicketRequiresTheCustomersLanguageWhenTheTeamSpeaksIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "", nil)
		f.member(t, "anna@loket.test", "en", "nl")
		f.member(t, "dora@loket.test", "de", "billing")

		// A new customer writes German: the ticket needs German, and the
		// contact is known as German-speaking from now on.
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "max@example.de"), Subject: "Bestellung", Text: germanMail})
		if !slices.Equal(r.Ticket.Skills, []string{"de"}) {
			t.Fatalf("ticket skills %v, want [de]", r.Ticket.Skills)
		}
		stored, err := st.Ticket(context.Background(), r.Ticket.ID)
		if err != nil || !slices.Equal(stored.Skills, []string{"de"}) {
			t.Fatalf("stored ticket skills %v (%v)", stored.Skills, err)
		}
		c, err := st.Contact(context.Background(), r.Contact.ID)
		if err != nil || c.Language != "de" {
			t.Fatalf("contact language %q (%v), want de", c.Language, err)
		}

		// A contact's known language wins over the text of the message.
		r = f.receive(t, channel.Inbound{ExternalID: "2", From: email(t, "max@example.de"), Standalone: true, Text: "Hello, I would like to change the delivery address of my order please."})
		if !slices.Equal(r.Ticket.Skills, []string{"de"}) {
			t.Fatalf("known German contact writing English: skills %v, want [de]", r.Ticket.Skills)
		}

		// Nobody in the team speaks French: no requirement, anyone may take it.
		r = f.receive(t, channel.Inbound{ExternalID: "3", From: email(t, "luc@example.fr"), Text: "Bonjour, j'ai commandé une veste la semaine dernière et je ne l'ai toujours pas reçue."})
		if len(r.Ticket.Skills) != 0 {
			t.Fatalf("French ticket in a team without French: skills %v", r.Ticket.Skills)
		}
		// Too short to tell: no requirement and no language stored.
		r = f.receive(t, channel.Inbound{ExternalID: "4", From: email(t, "kim@example.com"), Text: "Danke!"})
		if len(r.Ticket.Skills) != 0 || r.Contact.Language != "" {
			t.Fatalf("short text: skills %v, contact language %q", r.Ticket.Skills, r.Contact.Language)
		}
	})
}

func TestReceive_TeamWithoutLanguageSkillsGetsNoLanguageRequirement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "", nil)
		f.member(t, "bo@loket.test", "billing")
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "max@example.de"), Text: germanMail})
		if len(r.Ticket.Skills) != 0 {
			t.Fatalf("skills %v, want none", r.Ticket.Skills)
		}
		if r.Contact.Language != "de" {
			t.Fatalf("contact language %q, want de", r.Contact.Language)
		}
	})
}
