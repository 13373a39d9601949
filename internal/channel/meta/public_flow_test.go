package meta

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// agent is a person signed in to the API with a session cookie.
type agent struct {
	e *env
	c *http.Client
}

// signIn adds an agent of role to the team and signs them in.
func (e *env) signIn(name, role string) *agent {
	e.T.Helper()
	email, password := strings.ToLower(name)+"@example.com", name+"-password-1"
	e.Do("POST", "/api/v1/agents", fmt.Sprintf(`{"email":%q,"name":%q,"role":%q,"password":%q,"team_ids":[%d]}`, email, name, role, password, e.Team), 201, nil)
	jar, _ := cookiejar.New(nil)
	a := &agent{e: e, c: &http.Client{Jar: jar}}
	a.do("POST", "/api/v1/session", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), 200, nil)
	return a
}

func (a *agent) do(method, path, body string, want int, out any) []byte {
	a.e.T.Helper()
	req, _ := http.NewRequest(method, a.e.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.c.Do(req)
	if err != nil {
		a.e.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.e.T.Fatalf("%s %s: status %d, want %d; body %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.e.T.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return raw
}

func (e *env) ticket(id int64) *domain.Ticket {
	e.T.Helper()
	t, err := e.Store.Ticket(context.Background(), id)
	if err != nil {
		e.T.Fatal(err)
	}
	return t
}

// A Facebook comment end to end: a public ticket with the post; a reply
// approved by a second person goes under the comment exactly once; the
// Page's own reply coming back is not stored; the customer's edit,
// their answer in the thread and the team's hiding are kept; taking it
// private answers the comment in Messenger, whose id joins the contact,
// so their direct message lands on the same contact.
func TestPublic_FacebookCommentEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		ch := e.CreateChannel(KindMessenger, e.g.settings(KindMessenger))
		if c := ch.Capabilities; !c.Public || !c.PrivateReplies || len(c.Moderation) != 3 {
			t.Errorf("capabilities %+v", c)
		}
		ann, piet := e.signIn("Ann", "agent"), e.signIn("Piet", "supervisor")

		e.hook(KindMessenger, ch.ID, e.fixture("messenger_comment.json", ""), 200)
		tk := e.onlyTicket()
		if !e.ticket(tk.ID).Public {
			t.Fatal("a comment opened a private ticket")
		}
		msgs := e.Messages(tk.ID)
		wantPost := domain.PublicPost{URL: "https://www.facebook.com/" + topComment, PostID: postID, PostText: "Onze kerstactie is begonnen!", PostURL: postURL}
		if len(msgs) != 1 || msgs[0].ExternalID != topComment || msgs[0].Public == nil || *msgs[0].Public != wantPost {
			t.Fatalf("messages %+v, want the comment with its post %+v", msgs, wantPost)
		}
		c := e.Contact(tk.ContactID)
		if c.Name != "Jan Jansen" || len(c.Identities) != 1 || c.Identities[0] != (domain.Identity{Kind: domain.IdentityFacebook, Value: fbCommenter}) {
			t.Errorf("contact %+v, want Jan Jansen by his Facebook id", c)
		}

		// The public reply waits for a second person.
		var reply domain.Message
		ann.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), `{"text":"Wat vervelend! We zoeken het uit."}`, 201, &reply)
		if reply.DeliveryStatus != domain.DeliveryAwaitingApproval {
			t.Fatalf("public reply is %s, want awaiting approval", reply.DeliveryStatus)
		}
		ann.do("POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 422, nil)
		piet.do("POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 200, nil)
		e.Wait("the approved reply to be posted", func() bool { return e.Message(reply.ID).ExternalID != "" })
		want := []graphWrite{{Method: "POST", Node: topComment + "/comments", Params: url.Values{"message": {"Wat vervelend! We zoeken het uit."}}}}
		if w := e.g.Writes(); !reflect.DeepEqual(w, want) || len(e.g.Sends()) != 0 {
			t.Fatalf("writes %+v and %d sends, want %+v only", w, len(e.g.Sends()), want)
		}
		sentID := e.Message(reply.ID).ExternalID

		// Meta tells of the Page's own comment; the customer edits theirs
		// and answers in the thread.
		own := fmt.Sprintf(`{"object":"page","entry":[{"id":%q,"changes":[{"field":"feed","value":{"from":{"id":%q,"name":"Loket Shop"},"post_id":%q,"comment_id":%q,"parent_id":%q,"item":"comment","verb":"add","message":"Wat vervelend! We zoeken het uit.","created_time":1765106500}}]}]}`,
			pageID, pageID, postID, sentID, topComment)
		e.hook(KindMessenger, ch.ID, []byte(own), 200)
		e.hook(KindMessenger, ch.ID, e.fixture("messenger_comment_changes.json", ""), 200)
		e.hook(KindMessenger, ch.ID, []byte(strings.ReplaceAll(string(e.fixture("messenger_comment_reply.json", "")), "{{PARENT}}", sentID)), 200)
		if n := len(e.Tickets()); n != 1 {
			t.Fatalf("%d tickets, want the one public conversation", n)
		}
		msgs = e.Messages(tk.ID)
		var comments []domain.Message
		for _, m := range msgs {
			if m.Kind == domain.KindMessage || m.Kind == "" {
				comments = append(comments, m)
			}
		}
		if len(comments) != 3 || comments[2].ExternalID != replyID || comments[2].Public == nil || len(comments[2].Attachments) != 1 {
			t.Fatalf("messages %+v, want the comment, our reply and the customer's answer with its photo", comments)
		}
		if !strings.Contains(string(comments[0].Meta), `"edited":{"text":"Mijn pakket is al twee weken onderweg!"`) {
			t.Errorf("first comment meta %s, want the edit", comments[0].Meta)
		}

		// The team hides the answer on Facebook.
		var hidden domain.Message
		ann.do("POST", fmt.Sprintf("/api/v1/messages/%d/moderate", comments[2].ID), `{"action":"hide"}`, 200, &hidden)
		if w := e.g.Writes(); len(w) != 2 || !reflect.DeepEqual(w[1], graphWrite{Method: "POST", Node: replyID, Params: url.Values{"is_hidden": {"true"}}}) || !hidden.Public.Hidden {
			t.Fatalf("writes %+v, message %+v, want the answer hidden", w, hidden.Public)
		}

		// Taken private: the customer's latest comment is answered in
		// Messenger, which names his PSID.
		e.g.commentBy(replyID, psid)
		var taken struct {
			Public *domain.Message `json:"public_message"`
			Ticket *domain.Ticket  `json:"ticket"`
		}
		ann.do("POST", fmt.Sprintf("/api/v1/tickets/%d/take-private", tk.ID), `{"text":"Mag ik je ordernummer?"}`, 201, &taken)
		if taken.Ticket == nil || taken.Ticket.Public || taken.Public == nil || taken.Public.DeliveryStatus != domain.DeliveryAwaitingApproval {
			t.Fatalf("taken private %+v, want a private ticket and a public answer awaiting approval", taken)
		}
		e.Wait("the private reply to be sent", func() bool { return len(e.g.Sends()) == 1 })
		if s := e.g.Sends()[0]; s.Recipient != (sendRecipient{CommentID: replyID}) || string(s.Message) != `{"text":"Mag ik je ordernummer?"}` {
			t.Errorf("private reply %+v, want one to the latest comment", s)
		}
		e.Wait("the PSID to join the contact", func() bool {
			for _, id := range e.Contact(tk.ContactID).Identities {
				if id == (domain.Identity{Kind: domain.IdentityMessenger, Value: psid}) {
					return true
				}
			}
			return false
		})
		piet.do("POST", fmt.Sprintf("/api/v1/messages/%d/approve", taken.Public.ID), `{}`, 200, nil)
		e.Wait("the public answer to be posted", func() bool { return len(e.g.Writes()) == 3 })
		if w := e.g.Writes()[2]; w.Node != replyID+"/comments" {
			t.Errorf("public answer %+v, want under the customer's latest comment", w)
		}

		// His answer in Messenger lands on the same contact's private ticket.
		e.hook(KindMessenger, ch.ID, e.fixture("messenger_text.json", ""), 200)
		m, err := st.MessageByExternalID(context.Background(), ch.ID, firstMid)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.ticket(m.TicketID); got.ID != taken.Ticket.ID || got.ContactID != tk.ContactID || got.Public {
			t.Errorf("direct message on ticket %+v, want the private ticket %d of contact %d", got, taken.Ticket.ID, tk.ContactID)
		}
		if n := len(e.g.Writes()); n != 3 {
			t.Errorf("%d writes in all, want each reply posted once", n)
		}
	})
}

// An Instagram comment: a public ticket of the commenter, whose direct
// messages come from the same Instagram-scoped id and so the same
// contact; the approved reply goes to the comment's replies.
func TestPublic_InstagramCommentEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		ch := e.CreateChannel(KindInstagram, e.g.settings(KindInstagram))
		ann, piet := e.signIn("Ann", "agent"), e.signIn("Piet", "supervisor")
		e.hook(KindInstagram, ch.ID, e.fixture("instagram_comment.json", ""), 200)
		tk := e.onlyTicket()
		msgs := e.Messages(tk.ID)
		if !e.ticket(tk.ID).Public || len(msgs) != 2 || msgs[0].Public.URL != "https://www.instagram.com/p/DAbCdEfGhIj/" || msgs[0].Public.PostText != "Nieuw binnen: de winterjas." {
			t.Fatalf("ticket %+v with %+v, want a public one with the comment and its reply", tk, msgs)
		}
		var reply domain.Message
		ann.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), `{"text":"Ja, in het blauw ook!"}`, 201, &reply)
		piet.do("POST", fmt.Sprintf("/api/v1/messages/%d/approve", reply.ID), `{}`, 200, nil)
		e.Wait("the approved reply to be posted", func() bool { return e.Message(reply.ID).ExternalID != "" })
		if w := e.g.Writes(); len(w) != 1 || w[0].Node != igReply+"/replies" {
			t.Errorf("writes %+v, want one reply to the latest comment", w)
		}

		e.hook(KindInstagram, ch.ID, e.fixture("instagram_text.json", ""), 200)
		var dm *domain.Ticket
		for _, x := range e.Tickets() {
			if x.ID != tk.ID {
				dm = e.ticket(x.ID)
			}
		}
		if dm == nil || dm.Public || dm.ContactID != tk.ContactID {
			t.Errorf("direct message ticket %+v, want a private one of the commenter %d", dm, tk.ContactID)
		}
	})
}
