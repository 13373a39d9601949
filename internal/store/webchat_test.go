package store_test

import (
	"context"
	"errors"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// chatFixture is a webchat channel and an e-mail channel with one contact.
type chatFixture struct {
	chat, mail *domain.Channel
	contact    *domain.Contact
}

func newChatFixture(t *testing.T, st *store.Store) *chatFixture {
	t.Helper()
	ctx := context.Background()
	f := &chatFixture{
		chat: &domain.Channel{Kind: "webchat", Name: "Chat", Enabled: true, Secrets: map[string]string{}},
		mail: &domain.Channel{Kind: "email", Name: "Mail", Enabled: true, Secrets: map[string]string{}},
	}
	if err := st.CreateChannel(ctx, f.chat, "hash-chat"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateChannel(ctx, f.mail, "hash-mail"); err != nil {
		t.Fatal(err)
	}
	f.contact = &domain.Contact{Name: "Jan"}
	if err := st.CreateContact(ctx, f.contact); err != nil {
		t.Fatal(err)
	}
	return f
}

// ticketOn opens a ticket for the conversation's thread.
func (f *chatFixture) ticketOn(t *testing.T, st *store.Store, c *store.WebchatConversation) *domain.Ticket {
	t.Helper()
	ctx := context.Background()
	tk := &domain.Ticket{ContactID: f.contact.ID, Status: domain.StatusNew, Priority: domain.PriorityNormal, ChannelID: f.chat.ID, CreatedAt: store.Now()}
	if err := st.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if err := st.SetThread(ctx, f.chat.ID, c.ThreadKey, tk.ID); err != nil {
		t.Fatal(err)
	}
	return tk
}

func (f *chatFixture) message(t *testing.T, st *store.Store, m domain.Message) *domain.Message {
	t.Helper()
	if m.Kind == "" {
		m.Kind = domain.KindMessage
	}
	if m.AuthorType == "" {
		m.AuthorType = domain.AuthorAgent
	}
	if _, err := st.InsertMessage(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func TestWebchatVisitor_FoundOnlyByItsTokenOnItsChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newChatFixture(t, st)
		v := &store.WebchatVisitor{ChannelID: f.chat.ID, PublicID: "v-1", Name: "Jan"}
		if err := st.CreateWebchatVisitor(ctx, v, "token-hash-1"); err != nil {
			t.Fatal(err)
		}
		got, err := st.WebchatVisitorByToken(ctx, f.chat.ID, "token-hash-1")
		if err != nil || got.ID != v.ID || got.PublicID != "v-1" || got.Name != "Jan" {
			t.Fatalf("by token: %+v, %v", got, err)
		}
		for _, tt := range []struct {
			name    string
			channel int64
			hash    string
		}{{"other token", f.chat.ID, "token-hash-2"}, {"other channel", f.mail.ID, "token-hash-1"}} {
			if _, err := st.WebchatVisitorByToken(ctx, tt.channel, tt.hash); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("%s: err = %v, want not found", tt.name, err)
			}
		}
		got.Email, got.Language, got.SeenAt = "jan@example.nl", "nl", got.SeenAt+1000
		if err := st.UpdateWebchatVisitor(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, _ := st.WebchatVisitorByToken(ctx, f.chat.ID, "token-hash-1")
		if again.Email != "jan@example.nl" || again.Language != "nl" || again.SeenAt != got.SeenAt {
			t.Fatalf("after update: %+v", again)
		}
	})
}

func TestWebchatConversations_VisitorSeesOwnAndVerifiedUserSeesAllDevices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newChatFixture(t, st)
		visitors := map[string]*store.WebchatVisitor{
			"anon":    {ChannelID: f.chat.ID, PublicID: "v-anon"},
			"phone":   {ChannelID: f.chat.ID, PublicID: "v-phone", UserID: "u-7"},
			"laptop":  {ChannelID: f.chat.ID, PublicID: "v-laptop", UserID: "u-7"},
			"someone": {ChannelID: f.chat.ID, PublicID: "v-else", UserID: "u-8"},
		}
		convs := map[string]*store.WebchatConversation{}
		for name, v := range visitors {
			if err := st.CreateWebchatVisitor(ctx, v, "hash-"+name); err != nil {
				t.Fatal(err)
			}
			c := &store.WebchatConversation{VisitorID: v.ID, ChannelID: f.chat.ID, ThreadKey: "thread-" + name}
			if err := st.CreateWebchatConversation(ctx, c); err != nil {
				t.Fatal(err)
			}
			convs[name] = c
		}
		tk := f.ticketOn(t, st, convs["phone"])
		tests := []struct {
			visitor string
			want    []string
		}{
			{"anon", []string{"anon"}},
			{"phone", []string{"phone", "laptop"}},
			{"laptop", []string{"phone", "laptop"}},
			{"someone", []string{"someone"}},
		}
		for _, tt := range tests {
			got, err := st.WebchatConversations(ctx, visitors[tt.visitor])
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]bool{}
			for _, n := range tt.want {
				want[convs[n].ID] = true
			}
			if len(got) != len(want) {
				t.Errorf("%s sees %d conversations, want %v", tt.visitor, len(got), tt.want)
			}
			for _, c := range got {
				if !want[c.ID] {
					t.Errorf("%s sees conversation %d (%s)", tt.visitor, c.ID, c.ThreadKey)
				}
				if c.ID == convs["phone"].ID && (c.TicketID != tk.ID || c.Status != domain.StatusNew) {
					t.Errorf("conversation with a ticket: %+v", c)
				}
				if c.ID == convs["laptop"].ID && c.TicketID != 0 {
					t.Errorf("conversation without messages has ticket %d", c.TicketID)
				}
			}
		}
		c, v, err := st.WebchatConversationByTicket(ctx, tk.ID)
		if err != nil || c.ID != convs["phone"].ID || v.ID != visitors["phone"].ID {
			t.Fatalf("by ticket: %+v %+v %v", c, v, err)
		}
		other := &domain.Ticket{ContactID: f.contact.ID, Status: domain.StatusNew, Priority: domain.PriorityNormal, CreatedAt: store.Now()}
		if err := st.CreateTicket(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.WebchatConversationByTicket(ctx, other.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("ticket without chat: %v", err)
		}
	})
}

func TestWebchatMessages_ShowOnlyChatMessagesDeliveredThroughTheChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newChatFixture(t, st)
		v := &store.WebchatVisitor{ChannelID: f.chat.ID, PublicID: "v-1"}
		if err := st.CreateWebchatVisitor(ctx, v, "h"); err != nil {
			t.Fatal(err)
		}
		conv := &store.WebchatConversation{VisitorID: v.ID, ChannelID: f.chat.ID, ThreadKey: "t-1"}
		if err := st.CreateWebchatConversation(ctx, conv); err != nil {
			t.Fatal(err)
		}
		tk := f.ticketOn(t, st, conv)
		chat := f.chat.ID
		in := f.message(t, st, domain.Message{TicketID: tk.ID, ChannelID: chat, Direction: domain.DirectionIn, AuthorType: domain.AuthorContact, Text: "hello"})
		f.message(t, st, domain.Message{TicketID: tk.ID, Kind: domain.KindNote, Text: "internal"})
		queued := f.message(t, st, domain.Message{TicketID: tk.ID, ChannelID: chat, Direction: domain.DirectionOut, DeliveryStatus: domain.DeliveryQueued, Text: "soon"})
		sent := f.message(t, st, domain.Message{TicketID: tk.ID, ChannelID: chat, Direction: domain.DirectionOut, DeliveryStatus: domain.DeliverySent, Text: "hi"})
		f.message(t, st, domain.Message{TicketID: tk.ID, ChannelID: f.mail.ID, Direction: domain.DirectionOut, DeliveryStatus: domain.DeliverySent, Text: "by mail"})
		f.message(t, st, domain.Message{TicketID: tk.ID, Kind: domain.KindEvent, AuthorType: domain.AuthorSystem, Text: "assigned"})
		ids := func(ms []*domain.Message) []int64 {
			out := []int64{}
			for _, m := range ms {
				out = append(out, m.ID)
			}
			return out
		}
		tests := []struct {
			name  string
			after int64
			limit int
			want  []int64
		}{
			{"everything", 0, 100, []int64{in.ID, sent.ID}},
			{"after the first", in.ID, 100, []int64{sent.ID}},
			{"limited", 0, 1, []int64{in.ID}},
		}
		for _, tt := range tests {
			got, err := st.WebchatMessages(ctx, chat, []int64{tk.ID}, tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if g := ids(got); len(g) != len(tt.want) || (len(g) > 0 && g[0] != tt.want[0]) || (len(g) > 1 && g[1] != tt.want[1]) {
				t.Errorf("%s: %v, want %v", tt.name, g, tt.want)
			}
		}
		if err := st.SetDelivery(ctx, queued.ID, domain.DeliverySent, "", ""); err != nil {
			t.Fatal(err)
		}
		got, _ := st.WebchatMessages(ctx, chat, []int64{tk.ID}, in.ID, 100)
		if len(got) != 2 || got[0].ID != queued.ID {
			t.Fatalf("after delivery: %v", ids(got))
		}
		if none, _ := st.WebchatMessages(ctx, chat, nil, 0, 100); len(none) != 0 {
			t.Fatalf("no tickets gave %d messages", len(none))
		}
	})
}

func TestWebchatAgentReadAndRating_AreStoredOnTheConversationAndTicket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newChatFixture(t, st)
		v := &store.WebchatVisitor{ChannelID: f.chat.ID, PublicID: "v-1"}
		if err := st.CreateWebchatVisitor(ctx, v, "h"); err != nil {
			t.Fatal(err)
		}
		conv := &store.WebchatConversation{VisitorID: v.ID, ChannelID: f.chat.ID, ThreadKey: "t-1"}
		if err := st.CreateWebchatConversation(ctx, conv); err != nil {
			t.Fatal(err)
		}
		tk := f.ticketOn(t, st, conv)
		for _, at := range []int64{5000, 3000} { // an older report never moves it back
			if err := st.MarkWebchatAgentRead(ctx, tk.ID, at); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.RateTicket(ctx, tk.ID, 4, "quick help", 7000); err != nil {
			t.Fatal(err)
		}
		cs, _ := st.WebchatConversations(ctx, v)
		if len(cs) != 1 || cs[0].AgentReadAt != 5000 || cs[0].CSATScore != 4 {
			t.Fatalf("conversation %+v", cs[0])
		}
		got, _ := st.Ticket(ctx, tk.ID)
		if got.CSATScore != 4 || got.CSATComment != "quick help" || got.CSATAt != 7000 {
			t.Fatalf("ticket csat %d %q %d", got.CSATScore, got.CSATComment, got.CSATAt)
		}
		if err := st.RateTicket(ctx, tk.ID+100, 4, "", 1); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("rating a missing ticket: %v", err)
		}
	})
}
