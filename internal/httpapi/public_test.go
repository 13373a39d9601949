package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// square is a public channel kind of this test: posts come in through the
// API of the test, replies and moderation are recorded.
type square struct {
	mu        sync.Mutex
	sent      []*channel.Outbound
	moderated []string
}

func (*square) Kind() string                                      { return "square" }
func (*square) Secrets() []string                                 { return nil }
func (*square) Validate(json.RawMessage, map[string]string) error { return nil }
func (*square) Capabilities() channel.Capabilities {
	return channel.Capabilities{Public: true, PrivateReplies: true, MaxLength: 280,
		Moderation: []domain.Moderation{domain.ModerationHide, domain.ModerationUnhide, domain.ModerationDelete}}
}

func (s *square) Send(_ context.Context, out *channel.Outbound) (channel.Sent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, out)
	sent := channel.Sent{ExternalID: fmt.Sprintf("sq-out-%d", out.Message.ID)}
	if out.PrivateReplyTo != "" {
		sent.Identity = &domain.Identity{Kind: domain.IdentityExternal, Value: "dm-of-" + out.To.Value}
	}
	return sent, nil
}

func (s *square) Moderate(_ context.Context, _ *domain.Channel, id string, action domain.Moderation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.moderated = append(s.moderated, string(action)+" "+id)
	return nil
}

func (s *square) Parse(ch *domain.Channel, _ string, body []byte, _ string) (*channel.Batch, error) {
	var in channel.Inbound
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, domain.Invalid("invalid_json", err.Error())
	}
	in.ChannelID = ch.ID
	return &channel.Batch{Messages: []*channel.Inbound{&in}}, nil
}

func (s *square) outbox() []*channel.Outbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*channel.Outbound(nil), s.sent...)
}

// deliver runs the outbox once: every queued reply goes to its adapter.
func (e *env) deliver() {
	e.t.Helper()
	ctx := context.Background()
	jobs, err := e.st.Claim(ctx, 50, 60_000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, j := range jobs {
		e.desk.Deliver(ctx, j)
	}
}

func TestPublic_RepliesWaitForASecondPersonAndGoOutOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		sq := &square{}
		e := newEnv(t, st, withAdapter(sq))
		ctx := context.Background()
		var ch domain.Channel
		e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"square","name":"Town square","team_id":%d}`, e.team), 201, &ch)
		e.do("POST", "/api/v1/agents", e.token, fmt.Sprintf(`{"email":"ann@example.com","name":"Ann","role":"agent","password":"ann-password-12","team_ids":[%d]}`, e.team), 201, nil)
		e.do("POST", "/api/v1/agents", e.token, fmt.Sprintf(`{"email":"sam@example.com","name":"Sam","role":"supervisor","password":"sam-password-12","team_ids":[%d]}`, e.team), 201, nil)
		e.do("POST", "/api/v1/agents", e.token, fmt.Sprintf(`{"email":"bob@example.com","name":"Bob","role":"agent","password":"bob-password-12","team_ids":[%d]}`, e.team), 201, nil)
		ann := e.login("ann@example.com", "ann-password-12", 200)
		sam := e.login("sam@example.com", "sam-password-12", 200)
		bob := e.login("bob@example.com", "bob-password-12", 200)
		as := func(c *http.Client, method, path, body string, want int, out any) {
			t.Helper()
			req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			e.send(c, req, want, out)
		}

		post := func(in channel.Inbound) *domain.Ticket {
			t.Helper()
			b, _ := json.Marshal(in)
			full, err := st.Channel(ctx, ch.ID)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.desk.Ingest(ctx, full, "application/json", b)
			if err != nil || len(res.Received) != 1 {
				t.Fatalf("ingest %s: %+v %v", b, res, err)
			}
			tk, err := st.Ticket(ctx, res.Received[0].Ticket.ID)
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		review := channel.Inbound{ExternalID: "post-1", From: domain.Identity{Kind: domain.IdentityExternal, Value: "kim"}, Name: "Kim",
			Text: "Two weeks and still no parcel. Worst shop ever.", Thread: "post-1",
			Public: &domain.PublicPost{URL: "https://square.example/p/1", Rating: 1, AuthorURL: "https://square.example/u/kim"}}
		tk := post(review)
		if !tk.Public {
			t.Fatalf("ticket %+v, want public", tk)
		}
		// A private message of the same person never joins the public
		// conversation, nor a public one a private ticket.
		dm := post(channel.Inbound{ExternalID: "dm-1", From: domain.Identity{Kind: domain.IdentityExternal, Value: "kim"}, Text: "hello privately"})
		if dm.ID == tk.ID || dm.Public {
			t.Fatalf("a private message joined ticket %d (public %v)", dm.ID, dm.Public)
		}
		tp := fmt.Sprintf("/api/v1/tickets/%d", tk.ID)
		var detail struct{ Messages []domain.Message }
		e.do("GET", tp, e.token, "", 200, &detail)
		if p := detail.Messages[0].Public; p == nil || p.Rating != 1 || p.URL != "https://square.example/p/1" {
			t.Fatalf("post %+v, want its rating and link", detail.Messages[0].Public)
		}

		// The composer's check: public, needs approval, the e-mail flagged.
		var check struct {
			Public, Approval bool
			Findings         []struct{ Kind, Text string }
			MaxLength        int `json:"max_length"`
		}
		as(ann, "POST", tp+"/public-check", `{"text":"Sorry! Mail me at ann@shop.example"}`, 200, &check)
		if !check.Public || !check.Approval || len(check.Findings) != 1 || check.Findings[0].Kind != "email" || check.MaxLength != 280 {
			t.Fatalf("check %+v", check)
		}
		// Personal data is refused until the agent confirms it.
		resp := struct{ Error struct{ Code string } }{}
		as(ann, "POST", tp+"/messages", `{"text":"Sorry! Mail me at ann@shop.example"}`, 422, &resp)
		if resp.Error.Code != "personal_data" {
			t.Fatalf("code %q, want personal_data", resp.Error.Code)
		}
		var reply domain.Message
		as(ann, "POST", tp+"/messages", `{"text":"We are sorry, Kim. We will look into it today."}`, 201, &reply)
		if reply.DeliveryStatus != domain.DeliveryAwaitingApproval {
			t.Fatalf("public reply %q, want awaiting approval without asking", reply.DeliveryStatus)
		}
		e.deliver()
		if n := len(sq.outbox()); n != 0 {
			t.Fatalf("%d replies went out before approval", n)
		}
		approve := fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID)
		as(ann, "POST", approve, `{}`, 422, nil) // her own
		as(bob, "POST", approve, `{}`, 422, nil) // not an approver
		var list []domain.Message
		as(bob, "GET", "/api/v1/approvals", "", 200, &list)
		if len(list) != 0 {
			t.Fatalf("an agent who may not approve lists %d replies", len(list))
		}
		as(sam, "POST", approve, `{"text":"We are sorry, Kim. We are looking into it today."}`, 200, nil)
		as(sam, "POST", approve, `{}`, 422, nil) // once
		e.deliver()
		e.deliver()
		out := sq.outbox()
		if len(out) != 1 || !out[0].Public || out[0].ReplyTo != "post-1" || out[0].Message.Text != "We are sorry, Kim. We are looking into it today." {
			t.Fatalf("sent %+v, want the edited reply once, in public, to post-1", out)
		}

		// A named approver who is an agent may approve; the channel can
		// turn approval off.
		var bobID int64
		var agents struct{ Agents []domain.Agent }
		e.do("GET", "/api/v1/agents", e.token, "", 200, &agents)
		for _, a := range agents.Agents {
			if a.Email == "bob@example.com" {
				bobID = a.ID
			}
		}
		e.do("PATCH", fmt.Sprintf("/api/v1/channels/%d", ch.ID), e.token, fmt.Sprintf(`{"approvers":[%d],"tone_guide_url":"https://shop.example/tone"}`, bobID), 200, nil)
		as(ann, "POST", tp+"/messages", `{"text":"Update: it left our warehouse."}`, 201, &reply)
		as(sam, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 422, nil) // not named
		as(bob, "POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 200, nil)
		e.do("PATCH", fmt.Sprintf("/api/v1/channels/%d", ch.ID), e.token, `{"approval":"off"}`, 200, nil)
		as(ann, "POST", tp+"/messages", `{"text":"It arrives tomorrow."}`, 201, &reply)
		if reply.DeliveryStatus != domain.DeliveryQueued {
			t.Fatalf("with approval off, reply %q, want queued", reply.DeliveryStatus)
		}
		e.do("PATCH", fmt.Sprintf("/api/v1/channels/%d", ch.ID), e.token, `{"approval":"maybe"}`, 422, nil)
		e.do("PATCH", fmt.Sprintf("/api/v1/channels/%d", ch.ID), e.token, `{"approval":""}`, 200, nil)

		// Moderation: hidden on the site and on the timeline.
		var moderated domain.Message
		as(ann, "POST", fmt.Sprintf("/api/v1/messages/%d/moderate", detail.Messages[0].ID), `{"action":"hide"}`, 200, &moderated)
		if moderated.Public == nil || !moderated.Public.Hidden || strings.Join(sq.moderated, ",") != "hide post-1" {
			t.Fatalf("moderated %+v, calls %v", moderated.Public, sq.moderated)
		}
		as(ann, "POST", fmt.Sprintf("/api/v1/messages/%d/moderate", detail.Messages[0].ID), `{"action":"ban"}`, 422, nil)
		as(ann, "POST", fmt.Sprintf("/api/v1/messages/%d/moderate", reply.ID), `{"action":"hide"}`, 422, nil)

		// Taking it private: a short public answer awaiting approval, and a
		// private reply on a new private ticket, whose answer joins Kim.
		var taken struct {
			Public *domain.Message `json:"public_message"`
			Ticket *domain.Ticket  `json:"ticket"`
		}
		as(ann, "POST", tp+"/take-private", `{"text":"Hi Kim, could you send us your order number here?"}`, 201, &taken)
		if taken.Public == nil || taken.Public.DeliveryStatus != domain.DeliveryAwaitingApproval || taken.Ticket == nil || taken.Ticket.Public {
			t.Fatalf("taken %+v", taken)
		}
		e.deliver()
		out = sq.outbox()
		last := out[len(out)-1]
		if last.PrivateReplyTo != "post-1" || last.Public || last.Ticket.ID != taken.Ticket.ID || last.To.Value != "kim" {
			t.Fatalf("private reply %+v", last)
		}
		answer := post(channel.Inbound{ExternalID: "dm-2", From: domain.Identity{Kind: domain.IdentityExternal, Value: "dm-of-kim"}, Text: "It is A-1001"})
		if answer.ContactID != tk.ContactID || answer.Public {
			t.Fatalf("the private answer landed on contact %d (public %v), want Kim's %d", answer.ContactID, answer.Public, tk.ContactID)
		}
		as(ann, "POST", fmt.Sprintf("/api/v1/tickets/%d/take-private", dm.ID), `{"text":"x"}`, 422, nil)
	})
}

// board is a review site: public posts without private replies.
type board struct{ *square }

func (board) Kind() string { return "board" }
func (board) Capabilities() channel.Capabilities {
	return channel.Capabilities{Public: true, MaxLength: 4096}
}

func TestPublic_AReviewerIdentifiesByAConfirmedAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, withAdapter(board{&square{}}), func(c *httpapi.Config) { c.BaseURL = "https://desk.shop.example" })
		var ch, mail domain.Channel
		e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"board","name":"Reviews","team_id":%d}`, e.team), 201, &ch)
		e.do("POST", "/api/v1/channels", e.token, `{"kind":"email","name":"Support mail","settings":{"addresses":["support@shop.example"],
			"smtp":{"host":"127.0.0.1","port":2525,"tls":"none","username":"loket","password":"smtp-secret"}}}`, 201, &mail)
		// Jan is a known customer by e-mail.
		known := e.post(`{"external_id":"order-q","from":{"email":"jan@example.nl","name":"Jan"},"text":"Where is my order?"}`, 201)
		full, err := st.Channel(ctx, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(channel.Inbound{ExternalID: "rev-9", From: domain.Identity{Kind: domain.IdentityExternal, Value: "reviewer-9"},
			Name: "J.", Text: "Slow delivery", Thread: "review:rev-9", Public: &domain.PublicPost{Rating: 2}})
		res, err := e.desk.Ingest(ctx, full, "application/json", b)
		if err != nil || len(res.Received) != 1 {
			t.Fatalf("ingest: %+v %v", res, err)
		}
		tk := res.Received[0].Ticket
		tp := fmt.Sprintf("/api/v1/tickets/%d", tk.ID)
		var taken struct {
			Public      *domain.Message `json:"public_message"`
			Ticket      *domain.Ticket  `json:"ticket"`
			IdentifyURL string          `json:"identify_url"`
		}
		e.do("POST", tp+"/take-private", e.token, `{}`, 201, &taken)
		if taken.Ticket != nil || !strings.HasPrefix(taken.IdentifyURL, "https://desk.shop.example/identify/idf_") ||
			!strings.HasSuffix(taken.Public.Text, taken.IdentifyURL) || taken.Public.DeliveryStatus != domain.DeliveryAwaitingApproval {
			t.Fatalf("taken %+v", taken)
		}
		page := strings.TrimPrefix(taken.IdentifyURL, "https://desk.shop.example")
		form := func(path, body string, want int) string {
			t.Helper()
			req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept-Language", "nl-NL,nl;q=0.9")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var sb strings.Builder
			_, _ = io.Copy(&sb, resp.Body)
			if resp.StatusCode != want {
				t.Fatalf("POST %s: %d, want %d: %s", path, resp.StatusCode, want, sb.String())
			}
			return sb.String()
		}
		e.do("GET", page, "", "", 200, nil)
		e.do("GET", "/identify/idf_guessed", "", "", 404, nil)
		form(page, "email=not-an-address", 422)
		if body := form(page, "email=jan%40example.nl", 200); !strings.Contains(body, "Open de link") {
			t.Fatalf("page after the address: %s", body)
		}
		// Nothing is linked before the address is confirmed.
		if got, _ := st.Ticket(ctx, tk.ID); got.ContactID == known.Contact.ID {
			t.Fatal("the review joined the customer before they confirmed")
		}
		// The confirmation goes by e-mail, privately, on the review's
		// timeline.
		msgs, err := st.Messages(ctx, tk.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var confirm string
		for _, m := range msgs {
			if m.ChannelID == mail.ID && m.Address != nil && m.Address.Value == "jan@example.nl" {
				confirm = regexp.MustCompile(`https://desk\.shop\.example(/identify/\S+)`).FindStringSubmatch(m.Text)[1]
			}
		}
		if confirm == "" {
			t.Fatalf("no confirmation mail to jan@example.nl among %d messages", len(msgs))
		}
		form(page+"/idc_wrong", "", 422)
		e.do("GET", confirm, "", "", 200, nil)
		if body := form(confirm, "", 200); !strings.Contains(body, "jan@example.nl") {
			t.Fatalf("confirmed page: %s", body)
		}
		form(confirm, "", 200) // a second click changes nothing
		got, err := st.Ticket(ctx, tk.ID)
		if err != nil || got.ContactID != known.Contact.ID {
			t.Fatalf("review ticket on contact %d (%v), want Jan's %d", got.ContactID, err, known.Contact.ID)
		}
	})
}
