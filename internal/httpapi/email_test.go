package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestEmailEndpoint_ImportsAnEMLWithInlineImageAndKeepsTheOriginal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var ch struct {
			ID           int64  `json:"id"`
			InboundToken string `json:"inbound_token"`
		}
		e.do("POST", "/api/v1/channels", e.token, `{"kind":"email","name":"Support mail","settings":{"addresses":["support@shop.example"],
			"smtp":{"host":"127.0.0.1","port":2525,"tls":"none","username":"loket","password":"smtp-secret"}}}`, 201, &ch)
		eml, err := os.ReadFile("../channel/email/testdata/apple_reply_inline_image.eml")
		if err != nil {
			t.Fatal(err)
		}
		post := func(want int) inboundAnswer {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channels/%d/email", e.srv.URL, ch.ID), strings.NewReader(string(eml)))
			req.Header.Set("Authorization", "Bearer "+ch.InboundToken)
			req.Header.Set("Content-Type", "message/rfc822")
			var a inboundAnswer
			e.send(http.DefaultClient, req, want, &a)
			return a
		}
		a := post(201)
		if post(200).Message.ID != a.Message.ID {
			t.Fatal("the same mail twice was not recognised as a duplicate")
		}
		var detail struct {
			domain.Ticket
			Contact  domain.Contact
			Messages []domain.Message
		}
		e.do("GET", fmt.Sprintf("/api/v1/tickets/%d", a.Ticket.ID), e.token, "", 200, &detail)
		m := detail.Messages[0]
		if detail.Contact.Identities[0].Value != "jan@bakker.example" || !strings.Contains(detail.Subject, "Beschadigd product") {
			t.Fatalf("ticket %+v contact %+v", detail.Ticket, detail.Contact)
		}
		var inline int64
		for _, att := range m.Attachments {
			if att.ContentID != "" {
				inline = att.ID
			}
		}
		if inline == 0 || !strings.Contains(m.HTML, fmt.Sprintf(`src="/api/v1/attachments/%d"`, inline)) || strings.Contains(m.HTML, "cid:") {
			t.Fatalf("inline image not linked: attachments %+v html %q", m.Attachments, m.HTML)
		}
		resp := e.do("GET", fmt.Sprintf("/api/v1/messages/%d/raw", m.ID), e.token, "", 200, nil)
		if resp.Header.Get("Content-Type") != "message/rfc822" {
			t.Fatalf("raw download type %q", resp.Header.Get("Content-Type"))
		}
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/messages/%d/raw", e.srv.URL, m.ID), nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		r2, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r2.Body)
		r2.Body.Close()
		if string(body) != string(eml) {
			t.Fatal("the original differs from what was posted")
		}
		var view map[string]any
		e.do("GET", fmt.Sprintf("/api/v1/channels/%d", ch.ID), e.token, "", 200, &view)
		if fmt.Sprint(view["secrets_set"]) != "[smtp.password]" || strings.Contains(fmt.Sprint(view["settings"]), "smtp-secret") {
			t.Fatalf("e-mail channel view %v", view)
		}
	})
}

func TestEmailEndpoint_ABounceImportedRawMarksTheReplyFailedWithoutANewContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		var ch struct {
			ID           int64  `json:"id"`
			InboundToken string `json:"inbound_token"`
		}
		e.do("POST", "/api/v1/channels", e.token, `{"kind":"email","name":"Support mail","settings":{"addresses":["support@shop.example"],
			"smtp":{"host":"127.0.0.1","port":2525,"tls":"none"}}}`, 201, &ch)
		post := func(raw string, want int) inboundAnswer {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channels/%d/email", e.srv.URL, ch.ID), strings.NewReader(raw))
			req.Header.Set("Authorization", "Bearer "+ch.InboundToken)
			req.Header.Set("Content-Type", "message/rfc822")
			var a inboundAnswer
			e.send(http.DefaultClient, req, want, &a)
			return a
		}
		a := post("From: Piet <piet@gone.example>\r\nTo: support@shop.example\r\nSubject: Your order\r\nMessage-ID: <q@gone.example>\r\n\r\nWhere is it?\r\n", 201)
		var reply domain.Message
		e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", a.Ticket.ID), e.token, `{"text":"On its way."}`, 201, &reply)
		if err := st.SetDelivery(ctx, reply.ID, domain.DeliverySent, "", "loket-2-postfix@shop.example"); err != nil {
			t.Fatal(err)
		}
		bounce, err := os.ReadFile("../channel/email/testdata/bounce_postfix.eml")
		if err != nil {
			t.Fatal(err)
		}
		if b := post(string(bounce), 201); b.Ticket.ID != a.Ticket.ID {
			t.Errorf("the bounce joined ticket %d, want the reply's %d", b.Ticket.ID, a.Ticket.ID)
		}
		got, err := st.Message(ctx, reply.ID)
		if err != nil || got.DeliveryStatus != domain.DeliveryFailed || !strings.Contains(got.DeliveryError, "5.1.1") {
			t.Errorf("reply status %q, error %q (%v); want failed with the reason", got.DeliveryStatus, got.DeliveryError, err)
		}
		if _, err := st.ContactIDByIdentity(ctx, domain.Identity{Kind: domain.IdentityEmail, Value: "mailer-daemon@mail.shop.example"}); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("the mail system became a contact (%v)", err)
		}
	})
}
