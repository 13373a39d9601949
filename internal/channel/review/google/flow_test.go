package google

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel/review/reviewtest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// startFlow runs Loket with a google_reviews channel on a fake Google
// that has the reviews already, which the runner's first poll finds.
func startFlow(t *testing.T, st *store.Store, reviews ...apiReview) (*reviewtest.Flow, *fakeGoogle) {
	g := newFakeGoogle(t)
	g.add(reviews...)
	// The wall clock: the runner's first poll looks back 30 days from now.
	f := reviewtest.Start(t, st, New(g.config(nil)), fmt.Sprintf(`{"account_id":%q,"location_id":%q,"reviews_url":"https://maps.app.goo.gl/abc",`+
		`"client_id":%q,"client_secret":%q,"refresh_token":%q}`, account, location, clientID, clientSecret, refreshToken))
	return f, g
}

func TestFlow_AReviewBecomesAPublicTicketAndAnApprovedReplyIsPostedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		written := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
		r := gReview("AbFvOqnzUVZPzFv0R4PqrP8d", "TWO", written, written)
		r.Comment = "Waited forty minutes for a table we had booked."
		f, g := startFlow(t, st, r)

		// The runner's first poll brings it in as a public ticket.
		tk := f.WaitTickets(1)[0]
		d := f.Ticket(tk.ID)
		if !d.Public || len(d.Messages) != 1 {
			t.Fatalf("ticket public %v with %d messages", d.Public, len(d.Messages))
		}
		m := d.Messages[0]
		if m.Subject != "★★☆☆☆" || m.Text != r.Comment || m.Public == nil || m.Public.Rating != 2 || m.Public.URL != "https://maps.app.goo.gl/abc" {
			t.Fatalf("review message %+v, public %+v", m, m.Public)
		}
		if c := f.Contact(tk.ContactID); c.Name != "Reviewer AbFvOqnzUVZPzFv0R4PqrP8d" {
			t.Errorf("contact %+v", c)
		}
		if f.Channel.Capabilities.Public != true || f.Channel.Capabilities.PrivateReplies || f.Channel.Capabilities.MaxLength != MaxReply {
			t.Errorf("capabilities %+v", f.Channel.Capabilities)
		}

		// An agent's reply waits for a second person; the writer cannot
		// approve it, a supervisor does, and it is posted once.
		writer := f.Agent("writer@example.com", domain.RoleAgent)
		approver := f.Agent("lead@example.com", domain.RoleSupervisor)
		var reply domain.Message
		f.As(writer, "POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), `{"text":"We are sorry about the wait. We have changed how we hold booked tables."}`, 201, &reply)
		if reply.DeliveryStatus != domain.DeliveryAwaitingApproval {
			t.Fatalf("reply %s, want awaiting approval", reply.DeliveryStatus)
		}
		f.As(writer, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 422, nil)
		if got := g.sentReplies(); len(got) != 0 {
			t.Fatalf("posted before approval: %v", got)
		}
		f.As(approver, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 200, nil)
		f.Wait("the reply sent", func() bool { return f.Message(reply.ID).DeliveryStatus == domain.DeliverySent })
		if got := g.sentReplies(); len(got) != 1 || got[0] != "AbFvOqnzUVZPzFv0R4PqrP8d: We are sorry about the wait. We have changed how we hold booked tables." {
			t.Fatalf("Google got %v, want the reply once", got)
		}
		if sent := f.Message(reply.ID); sent.ExternalID != fmt.Sprintf("reply:AbFvOqnzUVZPzFv0R4PqrP8d:%d", reply.ID) {
			t.Errorf("sent reply's external id %q", sent.ExternalID)
		}

		// The reviewer raises the rating: the next poll shows the edit on
		// the same ticket; nothing is imported twice.
		edited := gReview("AbFvOqnzUVZPzFv0R4PqrP8d", "FOUR", written, time.Now().UTC().Truncate(time.Second))
		edited.Comment = "They called me and made it right."
		g.add(edited)
		f.PollNow(fmt.Sprintf(`{"account_id":%q,"location_id":%q,"reviews_url":"https://maps.app.goo.gl/abc","poll_interval_seconds":301}`, account, location))
		f.Wait("the edit", func() bool {
			return strings.Contains(string(f.Message(m.ID).Meta), "★★★★☆\\n\\nThey called me and made it right.")
		})
		if ts := f.Tickets(); len(ts) != 1 {
			t.Fatalf("%d tickets after the edit, want the one", len(ts))
		}
		// The review (with its first rating), the reply and its approval.
		if d := f.Ticket(tk.ID); len(d.Messages) != 3 || d.Messages[0].ID != m.ID || d.Messages[0].Public.Rating != 2 || d.Messages[1].ID != reply.ID {
			t.Errorf("after the edit: %+v", d.Messages)
		}
		if got := g.sentReplies(); len(got) != 1 {
			t.Errorf("Google got %d replies, want still one", len(got))
		}
	})
}

func TestFlow_TakingAReviewPrivateAnswersWithALinkToIdentify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		written := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		f, g := startFlow(t, st, gReview("AbFvOqk2m", "ONE", written, written))
		tk := f.WaitTickets(1)[0]
		// Google cannot answer a reviewer privately: the public answer
		// carries a link at which the reviewer says who they are.
		res, err := f.Desk.TakePrivate(context.Background(), desk.TakePrivate{TicketID: tk.ID, Agent: "Admin",
			IdentifyURL: func(token string) string { return "https://loket.example/identify/" + token }})
		if err != nil {
			t.Fatal(err)
		}
		if res.Ticket != nil || !strings.HasPrefix(res.IdentifyURL, "https://loket.example/identify/") {
			t.Fatalf("taken private: %+v", res)
		}
		approver := f.Agent("lead@example.com", domain.RoleSupervisor)
		f.As(approver, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", res.Public.ID), `{}`, 200, nil)
		f.Wait("the public answer sent", func() bool { return f.Message(res.Public.ID).DeliveryStatus == domain.DeliverySent })
		if got := g.sentReplies(); len(got) != 1 || !strings.HasPrefix(got[0], "AbFvOqk2m: ") || !strings.HasSuffix(got[0], res.IdentifyURL) {
			t.Fatalf("Google got %v, want the answer with the link once", got)
		}
	})
}
