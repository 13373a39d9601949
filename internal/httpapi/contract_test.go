package httpapi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// pigeon is a channel kind of this test only. It is one type plus its
// registration, like any channel: it serves its own signed webhook, parses
// messages, statuses, reactions and typing from one payload, says what it
// can carry, and delivers replies. Nothing in the core knows its name.
type pigeon struct {
	mu   sync.Mutex
	sent []*channel.Outbound
}

// pigeonPayload is what the pigeon provider posts to its webhook.
type pigeonPayload struct {
	Messages []struct {
		ID   string `json:"id"`
		From string `json:"from"`
		Name string `json:"name"`
		Text string `json:"text"`
	} `json:"messages"`
	Statuses []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"statuses"`
	Changes []struct {
		ID    string `json:"id"`
		From  string `json:"from"`
		Kind  string `json:"kind"`
		Emoji string `json:"emoji"`
		Text  string `json:"text"`
	} `json:"changes"`
	Typing []string `json:"typing"`
}

func (*pigeon) Kind() string      { return "pigeon" }
func (*pigeon) Secrets() []string { return []string{"secret"} }
func (*pigeon) Validate(settings json.RawMessage, secrets map[string]string) error {
	if len(secrets["secret"]) < 8 {
		return domain.Invalid("invalid_settings", "a pigeon channel needs a secret of at least 8 characters")
	}
	return nil
}

func (*pigeon) Capabilities() channel.Capabilities {
	return channel.Capabilities{Buttons: true, ReadReceipts: true, Typing: true, MaxLength: 280, Identities: []domain.IdentityKind{domain.IdentityExternal}}
}

func (p *pigeon) Send(_ context.Context, out *channel.Outbound) (channel.Sent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, out)
	return channel.Sent{ExternalID: "p-" + strconv.FormatInt(out.Message.ID, 10)}, nil
}

func (p *pigeon) Routes() []channel.Route {
	return []channel.Route{{Method: "POST", Path: "webhook", Handle: p.webhook}}
}

// webhook checks the provider's signature over the raw body before
// anything else, then hands the payload to the core.
func (p *pigeon) webhook(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	body, err := req.Body()
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(r.Header.Get("X-Pigeon-Signature")), []byte(pigeonSign(req.Channel.Secrets["secret"], body))) {
		return channel.Errorf(http.StatusUnauthorized, "bad_signature", "the payload's signature does not match")
	}
	if err := req.Ingest("application/json", body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func pigeonSign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func (p *pigeon) Parse(ch *domain.Channel, _ string, body []byte, region string) (*channel.Batch, error) {
	var pl pigeonPayload
	if err := json.Unmarshal(body, &pl); err != nil {
		return nil, domain.Invalid("invalid_json", err.Error())
	}
	var b channel.Batch
	id := func(v string) domain.Identity { return domain.Identity{Kind: domain.IdentityExternal, Value: v} }
	for _, m := range pl.Messages {
		b.Messages = append(b.Messages, &channel.Inbound{ExternalID: m.ID, From: id(m.From), Name: m.Name, Text: m.Text})
	}
	for _, s := range pl.Statuses {
		b.Statuses = append(b.Statuses, channel.Status{ExternalID: s.ID, Status: domain.DeliveryStatus(s.Status)})
	}
	for _, c := range pl.Changes {
		b.Changes = append(b.Changes, channel.Change{ExternalID: c.ID, Kind: channel.ChangeKind(c.Kind), From: id(c.From), Emoji: c.Emoji, Text: c.Text})
	}
	for _, from := range pl.Typing {
		b.Signals = append(b.Signals, channel.Signal{Kind: channel.SignalTyping, From: id(from)})
	}
	return &b, nil
}

// withAdapter registers one more channel kind on a test server.
func withAdapter(a channel.Adapter) func(*httpapi.Config) {
	return func(cfg *httpapi.Config) { cfg.Channels.Register(a) }
}

func TestChannelContract_ANewKindIsOnePackageAndOneRegistration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		p := &pigeon{}
		e := newNode(t, st, true, withAdapter(p))
		ctx := context.Background()
		var ch struct {
			ID           int64                `json:"id"`
			Capabilities channel.Capabilities `json:"capabilities"`
		}
		e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"pigeon","name":"Loft","team_id":%d,"settings":{"secret":"coo-coo-secret"}}`, e.team), 201, &ch)
		// The composer reads what the channel can carry from the API.
		if c := ch.Capabilities; !c.Buttons || c.MaxLength != 280 || len(c.Identities) != 1 || c.Identities[0] != domain.IdentityExternal {
			t.Errorf("capabilities %+v, want the adapter's", c)
		}
		hook := func(payload string, want int) {
			t.Helper()
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/pigeon/%d/webhook", e.srv.URL, ch.ID), strings.NewReader(payload))
			req.Header.Set("X-Pigeon-Signature", pigeonSign("coo-coo-secret", []byte(payload)))
			e.send(http.DefaultClient, req, want, nil)
		}

		// A forged payload is refused before anything is read.
		forged, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/pigeon/%d/webhook", e.srv.URL, ch.ID), strings.NewReader(`{"messages":[]}`))
		forged.Header.Set("X-Pigeon-Signature", "00")
		e.send(http.DefaultClient, forged, http.StatusUnauthorized, nil)
		// Another kind's channel id is not a pigeon channel.
		e.do("POST", fmt.Sprintf("/api/v1/pigeon/%d/webhook", e.channel), "", `{}`, http.StatusNotFound, nil)

		c := dial(t, e.srv.URL, e.token)
		hook(`{"messages":[{"id":"m-1","from":"loft-7","name":"Duif","text":"Is my parcel on its way?"}]}`, 204)
		created := waitFor(t, c, domain.EventTicketCreated)
		msgs, err := e.st.Messages(ctx, created.TicketID, 0, 0)
		if err != nil || len(msgs) != 1 || msgs[0].Text != "Is my parcel on its way?" || msgs[0].Address.String() != "external:loft-7" {
			t.Fatalf("messages %+v (%v), want the customer's", msgs, err)
		}

		// The agent's reply goes out through the outbox to the adapter.
		var reply domain.Message
		e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", created.TicketID), e.token, `{"text":"It is."}`, 201, &reply)
		jobs, err := e.st.Claim(ctx, 10, 60_000)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claimed %d jobs (%v), want the reply", len(jobs), err)
		}
		e.desk.Deliver(ctx, jobs[0])
		if len(p.sent) != 1 || p.sent[0].To.String() != "external:loft-7" {
			t.Fatalf("sent %d replies, want one to the customer", len(p.sent))
		}

		// One payload with a status, a reaction and typing.
		hook(fmt.Sprintf(`{"statuses":[{"id":"p-%d","status":"read"},{"id":"p-unknown","status":"read"}],
				"changes":[{"id":"m-1","from":"loft-7","kind":"reaction","emoji":"👍"}],"typing":["loft-7"]}`, reply.ID), 204)
		waitFor(t, c, domain.EventContactTyping)
		got, err := e.st.Message(ctx, reply.ID)
		if err != nil || got.DeliveryStatus != domain.DeliveryRead {
			t.Errorf("reply status %q (%v), want read", got.DeliveryStatus, err)
		}
		first, err := e.st.MessageByExternalID(ctx, ch.ID, "m-1")
		if err != nil || !bytes.Contains(first.Meta, []byte(`"reactions":{"external:loft-7":"👍"}`)) {
			t.Errorf("customer message meta %s (%v), want the reaction", first.Meta, err)
		}

		// Taking the reaction back, an edit and a deletion keep what the
		// customer first wrote as the message's text.
		hook(`{"changes":[{"id":"m-1","from":"loft-7","kind":"reaction"},{"id":"m-1","from":"loft-7","kind":"edit","text":"Is it there yet?"},
			{"id":"m-1","from":"loft-7","kind":"delete"}]}`, 204)
		first, err = e.st.MessageByExternalID(ctx, ch.ID, "m-1")
		if err != nil || first.Text != "Is my parcel on its way?" || bytes.Contains(first.Meta, []byte("reactions")) ||
			!bytes.Contains(first.Meta, []byte(`"edited":{"text":"Is it there yet?"`)) || !bytes.Contains(first.Meta, []byte(`"deleted_at":`)) {
			t.Errorf("customer message %q with meta %s (%v), want its first text, the edit and the deletion, no reaction", first.Text, first.Meta, err)
		}
	})
}
