package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// parrot is a messaging kind of this test only, shaped like WhatsApp: it
// reaches phone numbers, allows free text for a day after the customer's
// last message and approved templates at any time, refers to media that
// must be fetched, and hears "STOP". Nothing in the core knows its name.
type parrot struct {
	mu      sync.Mutex
	sent    []*channel.Outbound
	fetched []string
	// fail makes media downloads fail, failSend deliveries.
	fail, failSend bool
}

func (*parrot) Kind() string                                      { return "parrot" }
func (*parrot) Secrets() []string                                 { return nil }
func (*parrot) Validate(json.RawMessage, map[string]string) error { return nil }
func (*parrot) WebhookPath() string                               { return "webhook" }

func (*parrot) Capabilities() channel.Capabilities {
	return channel.Capabilities{Templates: true, SendWindowSeconds: 86400, Identities: []domain.IdentityKind{domain.IdentityPhone}}
}

func (p *parrot) Send(_ context.Context, out *channel.Outbound) (channel.Sent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failSend {
		return channel.Sent{}, channel.Permanent(errors.New("number not on the network"))
	}
	p.sent = append(p.sent, out)
	return channel.Sent{ExternalID: fmt.Sprintf("parrot-%d", out.Message.ID)}, nil
}

func (p *parrot) Templates(context.Context, *domain.Channel) ([]channel.Template, error) {
	return []channel.Template{{Name: "order_update", Language: "nl", Body: "Hallo {{1}}, uw bestelling {{2}} is onderweg.", Params: 2}}, nil
}

func (p *parrot) Routes() []channel.Route {
	return []channel.Route{{Method: "POST", Path: "webhook", Handle: func(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
		if r.Header.Get("X-Parrot-Key") != "squawk" {
			return channel.Errorf(http.StatusUnauthorized, "invalid_signature", "the key does not match")
		}
		body, err := req.Body()
		if err != nil {
			return err
		}
		if err := req.Ingest("application/json", body); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}}}
}

func (p *parrot) Parse(_ *domain.Channel, _ string, body []byte, region string) (*channel.Batch, error) {
	var pl struct {
		ID, From, Text, Media string
	}
	if err := json.Unmarshal(body, &pl); err != nil {
		return nil, domain.Invalid("invalid_json", err.Error())
	}
	from, err := domain.NewIdentity(domain.IdentityPhone, pl.From, region)
	if err != nil {
		return nil, err
	}
	in := &channel.Inbound{ExternalID: pl.ID, From: from, Text: pl.Text}
	switch strings.ToUpper(strings.TrimSpace(pl.Text)) {
	case "STOP":
		in.Consent = channel.ConsentOut
	case "START":
		in.Consent = channel.ConsentIn
	}
	if pl.Media != "" {
		in.Attachments = []channel.Attachment{{Ref: pl.Media}}
	}
	return &channel.Batch{Messages: []*channel.Inbound{in}}, nil
}

func (p *parrot) Fetch(_ context.Context, _ *domain.Channel, in *channel.Inbound) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, a := range in.Attachments {
		if a.Ref == "" {
			continue
		}
		if p.fail {
			return errors.New("media server unreachable")
		}
		p.fetched = append(p.fetched, a.Ref)
		in.Attachments[i].Filename, in.Attachments[i].ContentType, in.Attachments[i].Data = a.Ref+".jpg", "image/jpeg", []byte("\xff\xd8\xff jpeg of "+a.Ref)
	}
	return nil
}

func TestMessaging_WindowsTemplatesOptOutsMediaAndHealth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		p := &parrot{}
		e := newNode(t, st, true, withAdapter(p))
		ctx := context.Background()
		var ch struct {
			ID         int64  `json:"id"`
			WebhookURL string `json:"webhook_url"`
		}
		e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"parrot","name":"Parrot","team_id":%d}`, e.team), 201, &ch)
		if want := fmt.Sprintf("%s/api/v1/parrot/%d/webhook", e.srv.URL, ch.ID); ch.WebhookURL != want {
			t.Errorf("webhook_url %q, want %q", ch.WebhookURL, want)
		}
		// The generic inbound route is no way around the kind's signed
		// webhook, whatever token it is given.
		var withToken struct {
			InboundToken string `json:"inbound_token"`
		}
		e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"parrot","name":"Parrot 2","team_id":%d}`, e.team), 201, &withToken)
		e.do("POST", fmt.Sprintf("/api/v1/channels/%d/inbound", ch.ID+1), withToken.InboundToken, `{"id":"x","from":"+31612345678","text":"forged"}`, 409, nil)
		hook := func(key, payload string, want int) {
			t.Helper()
			req, _ := http.NewRequest("POST", ch.WebhookURL, strings.NewReader(payload))
			req.Header.Set("X-Parrot-Key", key)
			e.send(http.DefaultClient, req, want, nil)
		}
		reply := func(ticket int64, body string, want int) domain.Message {
			t.Helper()
			var m domain.Message
			e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", ticket), e.token, body, want, &m)
			return m
		}
		refused := func(ticket int64, body, code string) {
			t.Helper()
			var a struct{ Error struct{ Code string } }
			e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", ticket), e.token, body, 422, &a)
			if a.Error.Code != code {
				t.Errorf("reply %s refused with %q, want %q", body, a.Error.Code, code)
			}
		}
		deliverAll := func() {
			t.Helper()
			jobs, err := st.Claim(ctx, 10, 60_000)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range jobs {
				e.desk.Deliver(ctx, j)
			}
		}
		channelView := func() (v struct {
			Status        string `json:"status"`
			LastInboundAt int64  `json:"last_inbound_at"`
		}) {
			e.do("GET", fmt.Sprintf("/api/v1/channels/%d", ch.ID), e.token, "", 200, &v)
			return v
		}

		// A customer known by e-mail and phone writes through the API
		// channel; the ticket continues on the parrot channel.
		first := e.post(`{"external_id":"shop-1","from":{"email":"jan@example.com","phone":"06 12345678"},"text":"Waar is mijn bestelling?"}`, 201)
		// The customer never wrote on the parrot channel: its window is
		// closed, so free text is refused and a template is sent.
		refused(first.Ticket.ID, fmt.Sprintf(`{"channel_id":%d,"text":"Hij komt morgen."}`, ch.ID), "outside_window")
		var list struct{ Templates []channel.Template }
		e.do("GET", fmt.Sprintf("/api/v1/channels/%d/templates", ch.ID), e.token, "", 200, &list)
		if len(list.Templates) != 1 || list.Templates[0].Params != 2 {
			t.Fatalf("templates %+v, want the parrot's one", list.Templates)
		}
		refused(first.Ticket.ID, fmt.Sprintf(`{"channel_id":%d,"template":{"name":"order_update","language":"nl","params":["Jan"]}}`, ch.ID), "invalid_template")
		refused(first.Ticket.ID, fmt.Sprintf(`{"channel_id":%d,"template":{"name":"welcome","language":"nl","params":[]}}`, ch.ID), "unknown_template")
		tpl := reply(first.Ticket.ID, fmt.Sprintf(`{"channel_id":%d,"template":{"name":"order_update","language":"nl","params":["Jan","1042"]}}`, ch.ID), 201)
		if tpl.Text != "Hallo Jan, uw bestelling 1042 is onderweg." || tpl.Address == nil || tpl.Address.String() != "phone:+31612345678" {
			t.Fatalf("template reply %q to %v, want the filled template to the customer's phone", tpl.Text, tpl.Address)
		}
		deliverAll()
		if len(p.sent) != 1 || channel.TemplateOf(p.sent[0].Message) == nil || channel.TemplateOf(p.sent[0].Message).Params[1] != "1042" {
			t.Fatalf("sent %d, want the template with its parameters", len(p.sent))
		}

		// A forged call is refused and shows in the channel's health.
		hook("guess", `{"id":"p-0","from":"+31612345678","text":"hoi"}`, 401)
		if v := channelView(); !strings.HasPrefix(v.Status, "webhook: refused a call") || v.LastInboundAt != 0 {
			t.Errorf("health %+v, want the refused call and no inbound", v)
		}
		// A failed media download keeps the payload as a dead letter.
		p.fail = true
		hook("squawk", `{"id":"p-1","from":"+31612345678","text":"Kijk","media":"img-1"}`, 200)
		var dead struct {
			DeadLetters []struct{ ID int64 } `json:"dead_letters"`
		}
		e.do("GET", "/api/v1/dead-letters", e.token, "", 200, &dead)
		if len(dead.DeadLetters) != 1 {
			t.Fatalf("%d dead letters, want the payload whose media failed", len(dead.DeadLetters))
		}
		// The provider retries: the same phone is the same contact, the
		// media is fetched once, and free text is allowed again.
		p.fail = false
		hook("squawk", `{"id":"p-1","from":"+31612345678","text":"Kijk","media":"img-1"}`, 200)
		hook("squawk", `{"id":"p-1","from":"+31612345678","text":"Kijk","media":"img-1"}`, 200)
		if len(p.fetched) != 1 {
			t.Errorf("media fetched %d times, want once", len(p.fetched))
		}
		got, err := st.MessageByExternalID(ctx, ch.ID, "p-1")
		if err == nil {
			got, err = st.Message(ctx, got.ID)
		}
		if err != nil || len(got.Attachments) != 1 || got.Attachments[0].Filename != "img-1.jpg" {
			t.Fatalf("message %+v (%v), want the fetched image", got, err)
		}
		tk, err := st.Ticket(ctx, got.TicketID)
		if err != nil || tk.ContactID != first.Contact.ID {
			t.Fatalf("ticket %+v (%v), want one of the contact known by e-mail (%d)", tk, err, first.Contact.ID)
		}
		if v := channelView(); v.Status != "" || v.LastInboundAt == 0 {
			t.Errorf("health %+v, want healthy with a last inbound time", v)
		}
		free := reply(tk.ID, `{"text":"Dank u, we kijken ernaar."}`, 201)
		if free.ChannelID != ch.ID {
			t.Errorf("reply on channel %d, want the parrot's", free.ChannelID)
		}
		deliverAll()

		// STOP is recorded on the contact and respected by every later
		// send; START allows them again.
		hook("squawk", `{"id":"p-2","from":"+31612345678","text":"STOP"}`, 200)
		var c domain.Contact
		e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", first.Contact.ID), e.token, "", 200, &c)
		if !slices.Equal(c.OptOuts, []string{"parrot"}) {
			t.Fatalf("opt-outs %v, want parrot", c.OptOuts)
		}
		refused(tk.ID, `{"text":"Nog een vraag?"}`, "opted_out")
		// E-mail is not the channel the customer opted out of.
		reply(first.Ticket.ID, `{"text":"Per e-mail dan."}`, 201)
		hook("squawk", `{"id":"p-3","from":"+31612345678","text":"START"}`, 200)
		reply(tk.ID, `{"text":"Welkom terug."}`, 201)

		// Naming another customer's number who said STOP is refused too.
		hook("squawk", `{"id":"p-9","from":"+31687654321","text":"stop"}`, 200)
		refused(tk.ID, `{"text":"Hallo?","to":{"kind":"phone","value":"+31687654321"}}`, "opted_out")

		// A contact without a phone number cannot be reached by parrot.
		other := e.post(`{"external_id":"shop-2","from":{"email":"piet@example.com"},"text":"Hallo"}`, 201)
		refused(other.Ticket.ID, fmt.Sprintf(`{"channel_id":%d,"template":{"name":"order_update","language":"nl","params":["Piet","7"]}}`, ch.ID), "no_address")

		// A failed delivery shows in the channel's health until one
		// succeeds.
		p.failSend = true
		deliverAll()
		if v := channelView(); !strings.HasPrefix(v.Status, "delivery: number not on the network") {
			t.Errorf("health %q, want the failed delivery", v.Status)
		}
		p.failSend = false
		reply(tk.ID, `{"text":"Nogmaals."}`, 201)
		deliverAll()
		if v := channelView(); v.Status != "" {
			t.Errorf("health %q after a delivery, want healthy", v.Status)
		}
	})
}
