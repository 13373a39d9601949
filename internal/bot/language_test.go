package bot

import (
	"context"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// TestConversation_AnswersInTheLanguageOfTheQuestionNotOfThePage: a Dutch
// visitor on an English page (the contact's language is English) who
// writes Dutch gets the Dutch article in Dutch, not an English search
// that finds nothing and hands over at once.
func TestConversation_AnswersInTheLanguageOfTheQuestionNotOfThePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st, "webchat", `{"bot":{"enabled":true,"hours":"always"}}`, nil)
		in := &channel.Inbound{ChannelID: h.ch.ID, ExternalID: "m1", Language: "en",
			From: domain.Identity{Kind: "web", Value: "visitor-1"}, Text: "Hoe kan ik mijn schoenen terugsturen naar jullie?"}
		r, err := h.desk.Receive(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.bot.Handle(context.Background(), Env{Desk: h.desk, Waits: h.waits}, r.Message); err != nil {
			t.Fatal(err)
		}
		tk, err := st.Ticket(context.Background(), r.Ticket.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tk.BotState != domain.BotActive {
			t.Fatalf("bot_state %q: the bot handed over instead of answering", tk.BotState)
		}
		m, meta := h.last(tk.ID, domain.KindMessage)
		if m == nil || !strings.Contains(m.Text, "automatische assistent") {
			t.Fatalf("answer %v, want it in Dutch", m)
		}
		if got := h.ids(meta.QuickReplies); !strings.HasPrefix(got, "article:nl-return") {
			t.Fatalf("quick replies %q, want the Dutch return article first", got)
		}
	})
}
