package google

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// flow is a whole Loket with the google_reviews kind, the core's poll
// runner and a fake Google.
type flow struct {
	*channeltest.Env
	g  *fakeGoogle
	ch channeltest.Channel
}

func startFlow(t *testing.T, st *store.Store) *flow {
	g := newFakeGoogle(t)
	// Google's clock is the wall clock here: the runner's first poll looks
	// back 30 days from now.
	a := New(g.config(nil))
	e := channeltest.Start(t, st, channeltest.Options{}, func(*desk.Desk) []channel.Adapter { return []channel.Adapter{a} })
	f := &flow{Env: e, g: g}
	f.ch = e.CreateChannel(Kind, fmt.Sprintf(`{"account_id":%q,"location_id":%q,"reviews_url":"https://maps.app.goo.gl/abc",`+
		`"client_id":%q,"client_secret":%q,"refresh_token":%q}`, account, location, clientID, clientSecret, refreshToken))
	r := poll.New(poll.Config{Kind: Kind, Poller: a, Store: st, Ingest: e.Desk.IngestPayload, Report: e.Desk.ReportProvider})
	e.Hub.Listen(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

// pollNow makes the runner poll at once, as saving the channel does.
func (f *flow) pollNow(interval int) {
	f.Do("PATCH", fmt.Sprintf("/api/v1/channels/%d", f.ch.ID), fmt.Sprintf(`{"settings":{"account_id":%q,"location_id":%q,`+
		`"reviews_url":"https://maps.app.goo.gl/abc","poll_interval_seconds":%d}}`, account, location, interval), 200, nil)
}

type detail struct {
	domain.Ticket
	Messages []domain.Message `json:"messages"`
}

func (f *flow) ticket(id int64) detail {
	var d detail
	f.Do("GET", fmt.Sprintf("/api/v1/tickets/%d", id), "", 200, &d)
	return d
}

// agent creates an agent of role in the team and signs them in.
func (f *flow) agent(email string, role domain.Role) *http.Client {
	f.T.Helper()
	const password = "correct horse battery staple 42"
	f.Do("POST", "/api/v1/agents", fmt.Sprintf(`{"email":%q,"name":%q,"role":%q,"password":%q,"team_ids":[%d]}`, email, email, role, password, f.Team), 201, nil)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	f.as(c, "POST", "/api/v1/session", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), 200, nil)
	return c
}

// as calls the API with an agent's session.
func (f *flow) as(c *http.Client, method, path, body string, want int, out any) []byte {
	f.T.Helper()
	req, _ := http.NewRequest(method, f.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		f.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		f.T.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.T.Fatal(err)
		}
	}
	return b
}

func TestFlow_AReviewBecomesAPublicTicketAndAnApprovedReplyIsPostedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := startFlow(t, st)
		written := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
		r := gReview("AbFvOqnzUVZPzFv0R4PqrP8d", "TWO", written, written)
		r.Comment = "Waited forty minutes for a table we had booked."
		f.g.add(r)

		// The runner's first poll brings it in as a public ticket.
		var tk channeltest.Ticket
		f.Wait("the review's ticket", func() bool {
			ts := f.Tickets()
			if len(ts) == 1 {
				tk = ts[0]
			}
			return len(ts) == 1
		})
		d := f.ticket(tk.ID)
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
		if f.ch.Capabilities.Public != true || f.ch.Capabilities.PrivateReplies || f.ch.Capabilities.MaxLength != MaxReply {
			t.Errorf("capabilities %+v", f.ch.Capabilities)
		}

		// An agent's reply waits for a second person; the writer cannot
		// approve it, a supervisor does, and it is posted once.
		writer := f.agent("writer@example.com", domain.RoleAgent)
		approver := f.agent("lead@example.com", domain.RoleSupervisor)
		var reply domain.Message
		f.as(writer, "POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), `{"text":"We are sorry about the wait. We have changed how we hold booked tables."}`, 201, &reply)
		if reply.DeliveryStatus != domain.DeliveryAwaitingApproval {
			t.Fatalf("reply %s, want awaiting approval", reply.DeliveryStatus)
		}
		f.as(writer, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 422, nil)
		if got := f.g.sentReplies(); len(got) != 0 {
			t.Fatalf("posted before approval: %v", got)
		}
		f.as(approver, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 200, nil)
		f.Wait("the reply sent", func() bool { return f.Message(reply.ID).DeliveryStatus == domain.DeliverySent })
		if got := f.g.sentReplies(); len(got) != 1 || got[0] != "AbFvOqnzUVZPzFv0R4PqrP8d: We are sorry about the wait. We have changed how we hold booked tables." {
			t.Fatalf("Google got %v, want the reply once", got)
		}
		if sent := f.Message(reply.ID); sent.ExternalID != fmt.Sprintf("reply:AbFvOqnzUVZPzFv0R4PqrP8d:%d", reply.ID) {
			t.Errorf("sent reply's external id %q", sent.ExternalID)
		}

		// The reviewer raises the rating: the next poll shows the edit on
		// the same ticket; nothing is imported twice.
		edited := gReview("AbFvOqnzUVZPzFv0R4PqrP8d", "FOUR", written, time.Now().UTC().Truncate(time.Second))
		edited.Comment = "They called me and made it right."
		f.g.add(edited)
		f.pollNow(301)
		f.Wait("the edit", func() bool {
			return strings.Contains(string(f.Message(m.ID).Meta), "★★★★☆\\n\\nThey called me and made it right.")
		})
		if ts := f.Tickets(); len(ts) != 1 {
			t.Fatalf("%d tickets after the edit, want the one", len(ts))
		}
		// The review (with its first rating), the reply and its approval.
		if d := f.ticket(tk.ID); len(d.Messages) != 3 || d.Messages[0].ID != m.ID || d.Messages[0].Public.Rating != 2 || d.Messages[1].ID != reply.ID {
			t.Errorf("after the edit: %+v", d.Messages)
		}
		if got := f.g.sentReplies(); len(got) != 1 {
			t.Errorf("Google got %d replies, want still one", len(got))
		}
	})
}

func TestFlow_TakingAReviewPrivateAnswersWithALinkToIdentify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := startFlow(t, st)
		written := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		f.g.add(gReview("AbFvOqk2m", "ONE", written, written))
		var tk channeltest.Ticket
		f.Wait("the review's ticket", func() bool {
			ts := f.Tickets()
			if len(ts) == 1 {
				tk = ts[0]
			}
			return len(ts) == 1
		})
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
		approver := f.agent("lead@example.com", domain.RoleSupervisor)
		f.as(approver, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", res.Public.ID), `{}`, 200, nil)
		f.Wait("the public answer sent", func() bool { return f.Message(res.Public.ID).DeliveryStatus == domain.DeliverySent })
		if got := f.g.sentReplies(); len(got) != 1 || !strings.HasPrefix(got[0], "AbFvOqk2m: ") || !strings.HasSuffix(got[0], res.IdentifyURL) {
			t.Fatalf("Google got %v, want the answer with the link once", got)
		}
	})
}
