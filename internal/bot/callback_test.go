package bot

import (
	"context"
	"testing"
	"time"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestCallback_TheRequestWaitsOnTheTelephoneChannelForTheChatsCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st, "kiosk", `{"bot":{"enabled":true,"hours":"always","calendar_id":CAL},"callback_channel_id":VOICE}`, nil)
		chat := h.say("Ich möchte mit einem Mitarbeiter sprechen")
		h.say("@callback")
		h.say("030 1234567")
		h.say("@callback:afternoon")
		calls, err := st.Calls(context.Background(), store.CallFilter{State: domain.CallRequested})
		if err != nil || len(calls) != 1 {
			t.Fatalf("requested calls %+v (%v): want one", calls, err)
		}
		c := calls[0]
		// Saturday 10:00 UTC; tomorrow afternoon in the channel's calendar (Amsterdam).
		amsterdam, _ := time.LoadLocation("Europe/Amsterdam")
		want := time.Date(2026, 3, 8, 13, 0, 0, 0, amsterdam).UnixMilli()
		if c.ChannelID != h.phone.ID || c.Customer != "+31301234567" || c.CallbackAt != want || c.ContactID != chat.ContactID {
			t.Errorf("request %+v: want it on the telephone channel for Sunday 13:00, for the chat's customer", c)
		}
		m, _ := h.last(chat.ID, domain.KindMessage)
		if m == nil || m.Text != "Danke! Wir rufen Sie unter +31301234567 an. Gewünschte Zeit: Morgen Nachmittag." {
			t.Errorf("confirmation %+v", m)
		}
	})
}

func TestCallback_AnAgentsReplyEndsTheBotsPart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st, "kiosk", `{"bot":{"enabled":true,"hours":"always","calendar_id":CAL},"callback_channel_id":VOICE}`, nil)
		chat := h.say("I want to talk to a person")
		agent := &domain.Agent{Email: "anna@example.nl", Name: "Anna", Role: domain.RoleAgent}
		if err := st.CreateAgent(context.Background(), agent, "x"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.desk.Send(context.Background(), &desk.Outgoing{TicketID: chat.ID, Text: "Hi, Anna here.", AuthorType: domain.AuthorAgent, AuthorID: agent.ID}); err != nil {
			t.Fatal(err)
		}
		before, _ := h.last(chat.ID, domain.KindMessage)
		h.say("@callback")
		if after, _ := h.last(chat.ID, domain.KindMessage); after.ID != before.ID {
			t.Errorf("the bot answered %q after the agent took over", after.Text)
		}
	})
}
