package x

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/channel/poll"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// flow is a whole Loket with an X channel on a fake X, polled by the
// core's poll runner every few milliseconds, and an agent, Ann, signed
// in; the admin's token is the second person who approves.
type flow struct {
	*channeltest.Env
	f   *fakeX
	ch  channeltest.Channel
	ann *http.Client
}

func startFlow(t *testing.T, st *store.Store) *flow {
	fl := &flow{f: newFakeX(t)}
	a := New(Config{Every: 20 * time.Millisecond})
	fl.Env = channeltest.Start(t, st, channeltest.Options{}, func(*desk.Desk) []channel.Adapter { return []channel.Adapter{a} })
	fl.ch = fl.CreateChannel(Kind, fl.f.settings())
	r := poll.New(poll.Config{Kind: Kind, Poller: a, Store: st, Ingest: fl.Desk.IngestPayload, Report: fl.Desk.ReportProvider,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	fl.Wait("the channel's first poll", func() bool {
		c, err := st.ChannelCursor(context.Background(), fl.ch.ID)
		return err == nil && c != ""
	})
	fl.Do("POST", "/api/v1/agents", fmt.Sprintf(`{"email":"ann@example.com","name":"Ann","role":"agent","password":"ann-password-12","team_ids":[%d]}`, fl.Team), 201, nil)
	jar, _ := cookiejar.New(nil)
	fl.ann = &http.Client{Jar: jar}
	fl.as(fl.ann, "POST", "/api/v1/session", `{"email":"ann@example.com","password":"ann-password-12"}`, 200, nil)
	return fl
}

// as calls the API with an agent's session.
func (fl *flow) as(c *http.Client, method, path, body string, want int, out any) {
	fl.T.Helper()
	req, _ := http.NewRequest(method, fl.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		fl.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		fl.T.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			fl.T.Fatal(err)
		}
	}
}

// ticketWith waits for the ticket holding the message with external id.
func (fl *flow) ticketWith(externalID string) *domain.Ticket {
	fl.T.Helper()
	var m *domain.Message
	fl.Wait("message "+externalID+" on a ticket", func() bool {
		var err error
		m, err = fl.Store.MessageByExternalID(context.Background(), fl.ch.ID, externalID)
		return err == nil
	})
	tk, err := fl.Store.Ticket(context.Background(), m.TicketID)
	if err != nil {
		fl.T.Fatal(err)
	}
	return tk
}

// A mention becomes a public ticket; Ann's reply waits for a second
// person and goes out once, as a reply to the mention; the customer's
// follow-up joins the public ticket; taking it private sends a direct
// message, whose answer lands on the same contact's private ticket.
func TestFlow_MentionReplyTakePrivateAndTheAnswerByDirectMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		fl := startFlow(t, st)
		ctx := context.Background()
		fl.f.addUser("42", "janjansen", "Jan Jansen")
		mention := fl.f.mention("42", "@AcmeSupport where is my order 10443?", "", time.Now())
		tk := fl.ticketWith(mention)
		if !tk.Public {
			t.Fatalf("ticket %+v, want public", tk)
		}
		msgs := fl.Messages(tk.ID)
		if len(msgs) != 1 || msgs[0].Public == nil || msgs[0].Public.URL != "https://x.com/janjansen/status/"+mention ||
			msgs[0].Public.AuthorURL != "https://x.com/janjansen" {
			t.Fatalf("messages %+v, want the mention with its links", msgs)
		}
		c := fl.Contact(tk.ContactID)
		if c.Name != "Jan Jansen" || len(c.Identities) != 1 || c.Identities[0] != (domain.Identity{Kind: domain.IdentityX, Value: "42"}) {
			t.Fatalf("contact %+v, want Jan at his X id", c)
		}

		// Ann's public reply waits for approval, then goes out once.
		var reply domain.Message
		fl.as(fl.ann, "POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), `{"text":"Hi Jan, we are looking into it."}`, 201, &reply)
		if reply.DeliveryStatus != domain.DeliveryAwaitingApproval {
			t.Fatalf("reply %s, want awaiting approval", reply.DeliveryStatus)
		}
		fl.as(fl.ann, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 422, nil)
		fl.Do("POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 200, nil)
		fl.Wait("the reply to be sent", func() bool { return fl.Message(reply.ID).DeliveryStatus == domain.DeliverySent })
		tweets := fl.f.Posted()
		if len(tweets) != 1 || tweets[0].Kind != "tweet" || tweets[0].ReplyTo != mention || tweets[0].Text != "Hi Jan, we are looking into it." ||
			fl.Message(reply.ID).ExternalID != tweets[0].ID {
			t.Fatalf("posted %+v, want one reply to the mention", tweets)
		}

		// Jan answers in the conversation: the same public ticket.
		follow := fl.f.mention("42", "@AcmeSupport thanks, any news?", tweets[0].ID, time.Now())
		if got := fl.ticketWith(follow); got.ID != tk.ID {
			t.Fatalf("the follow-up opened ticket %d, want %d", got.ID, tk.ID)
		}

		// Taking it private: a direct message to Jan.
		var taken struct {
			Public *domain.Message `json:"public_message"`
			Ticket *domain.Ticket  `json:"ticket"`
		}
		fl.as(fl.ann, "POST", fmt.Sprintf("/api/v1/tickets/%d/take-private", tk.ID), `{"text":"Could you send us your postcode here?"}`, 201, &taken)
		if taken.Ticket == nil || taken.Ticket.Public {
			t.Fatalf("taken %+v, want a private ticket", taken)
		}
		fl.Wait("the direct message", func() bool {
			p := fl.f.Posted()
			return len(p) == 2 && p[1].Kind == "dm"
		})
		if dm := fl.f.Posted()[1]; dm.To != "42" || dm.Text != "Could you send us your postcode here?" {
			t.Fatalf("direct message %+v, want it to Jan", dm)
		}

		// Jan's answer by direct message: his contact, the private ticket.
		answer := fl.f.dm("42", "It is 1234 AB", time.Now())
		got := fl.ticketWith(answer)
		if got.ContactID != tk.ContactID || got.Public || got.ID != taken.Ticket.ID {
			t.Fatalf("the answer landed on ticket %d (contact %d, public %t), want private ticket %d of contact %d",
				got.ID, got.ContactID, got.Public, taken.Ticket.ID, tk.ContactID)
		}
		// Our own tweets and messages, read back, are not imported; the
		// one reply went out once.
		if p := fl.f.Posted(); len(p) != 2 || p[0].Kind != "tweet" {
			t.Fatalf("posted %+v", p)
		}
		// The short public note that the conversation goes on privately
		// waits for approval too, and answers Jan's latest post.
		if taken.Public == nil || taken.Public.DeliveryStatus != domain.DeliveryAwaitingApproval {
			t.Fatalf("public note %+v, want it awaiting approval", taken.Public)
		}
		fl.Do("POST", fmt.Sprintf("/api/v1/messages/%d/approve", taken.Public.ID), `{}`, 200, nil)
		fl.Wait("the public note to be sent", func() bool { return fl.Message(taken.Public.ID).DeliveryStatus == domain.DeliverySent })
		if p := fl.f.Posted(); len(p) != 3 || p[2].Kind != "tweet" || p[2].ReplyTo != follow {
			t.Fatalf("posted %+v, want the note as a reply to %s", p, follow)
		}
		private, err := st.Messages(ctx, taken.Ticket.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range private {
			if m.Direction == domain.DirectionIn && m.Text != "It is 1234 AB" {
				t.Errorf("private ticket holds %q from the customer, want only the answer", m.Text)
			}
		}
	})
}

// Replies under the account's own post are hidden and shown again on X
// from Loket; X's refusal for another's conversation reaches the agent.
func TestFlow_HideAndUnhideAReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		fl := startFlow(t, st)
		fl.f.addUser("42", "janjansen", "Jan Jansen")
		ours := fl.f.mention(accountID, "Our winter sale starts today", "", time.Now())
		spam := fl.f.mention("42", "@AcmeSupport buy followers at spam.example", ours, time.Now())
		elsewhere := fl.f.mention("42", "@AcmeSupport in my own thread", "", time.Now())
		fl.ticketWith(spam)
		fl.ticketWith(elsewhere)
		id := func(external string) int64 {
			m, err := st.MessageByExternalID(context.Background(), fl.ch.ID, external)
			if err != nil {
				t.Fatal(err)
			}
			return m.ID
		}
		var m domain.Message
		fl.as(fl.ann, "POST", fmt.Sprintf("/api/v1/messages/%d/moderate", id(spam)), `{"action":"hide"}`, 200, &m)
		if !m.Public.Hidden || !fl.f.Hidden(spam) {
			t.Fatalf("hidden in Loket %t, on X %t", m.Public.Hidden, fl.f.Hidden(spam))
		}
		m = domain.Message{}
		fl.as(fl.ann, "POST", fmt.Sprintf("/api/v1/messages/%d/moderate", id(spam)), `{"action":"unhide"}`, 200, &m)
		if m.Public == nil || m.Public.Hidden || fl.f.Hidden(spam) {
			t.Fatalf("after unhide: hidden in Loket %t, on X %t", m.Public.Hidden, fl.f.Hidden(spam))
		}
		fl.as(fl.ann, "POST", fmt.Sprintf("/api/v1/messages/%d/moderate", id(elsewhere)), `{"action":"hide"}`, 422, nil)
		fl.as(fl.ann, "POST", fmt.Sprintf("/api/v1/messages/%d/moderate", id(spam)), `{"action":"delete"}`, 422, nil)
	})
}
