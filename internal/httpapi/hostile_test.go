package httpapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestInbound_StoresNULsAndBrokenUTF8AsCleanTextOnBothDatabases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		a := e.post(`{"external_id":"n\u0000ul","from":{"id":"cust\u00009","name":"Ja\u0000n"},"subject":"S\u0000","text":"a\u0000b","thread":"t\u0000",`+
			`"attachments":[{"filename":"x\u0000.txt","content_type":"text/plain","data":"aGk="}]}`, 201)
		if a.DeadLetter != 0 {
			t.Fatalf("kept as dead letter %d, want stored", a.DeadLetter)
		}
		var msgs struct{ Messages []domain.Message }
		e.do("GET", fmt.Sprintf("/api/v1/messages?ticket_id=%d", a.Ticket.ID), e.token, "", 200, &msgs)
		m := msgs.Messages[0]
		if m.Text != "ab" || m.ExternalID != "nul" || m.Subject != "S" || m.Attachments[0].Filename != "x.txt" {
			t.Errorf("stored %q %q %q %q, want the NULs removed", m.Text, m.ExternalID, m.Subject, m.Attachments[0].Filename)
		}
		// The same message again is a duplicate, not a second copy.
		if dup := e.post(`{"external_id":"n\u0000ul","from":{"id":"cust\u00009"},"text":"a"}`, 200); !dup.Duplicate {
			t.Errorf("repeat answered %+v, want a duplicate", dup)
		}
	})
}

func TestAPI_NULsInJSONBodiesAndURLsAreCleanedNotFailing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"hello"}`, 201)
		var c domain.Contact
		e.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", a.Contact.ID), e.token, `{"name":"J\u0000an"}`, 200, &c)
		if c.Name != "Jan" {
			t.Errorf("contact name %q, want Jan", c.Name)
		}
		e.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", a.Ticket.ID), e.token, `{"tags":["vip\u0000"]}`, 200, nil)
		e.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", a.Contact.ID), e.token, `{"name":"`+strings.Repeat("n", domain.MaxNameBytes+1)+`"}`, 400, nil)
		e.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", a.Contact.ID), e.token, `{"language":"`+strings.Repeat("l", domain.MaxLanguageBytes+1)+`"}`, 400, nil)
		e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", a.Ticket.ID), e.token, `{"text":"on its w\u0000ay","note":true}`, 201, nil)
		for _, path := range []string{
			"/api/v1/search?q=a%00b", "/api/v1/search?q=%FF", "/api/v1/tickets?q=%FF%00", "/api/v1/tickets?tag=%FF",
			"/api/v1/tickets?tag=a%00", "/api/v1/contacts?q=%FF%00", "/api/v1/kb/search?q=%FF%00",
		} {
			e.do("GET", path, e.token, "", 200, nil)
		}
		e.do("GET", "/api/v1/contacts/by-number/C-%FF%00", e.token, "", 404, nil)
		e.do("GET", "/api/v1/tickets/by-number/%FF", e.token, "", 404, nil)
	})
}

func TestInbound_RefusesFieldsPastTheirLimitsWith400(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		long := func(n int) string { return strings.Repeat("x", n) }
		tests := []struct{ name, body string }{
			{"subject", `{"external_id":"1","from":{"email":"a@b.nl"},"text":"x","subject":"` + long(domain.MaxSubjectBytes+1) + `"}`},
			{"name", `{"external_id":"2","from":{"email":"a@b.nl","name":"` + long(domain.MaxNameBytes+1) + `"},"text":"x"}`},
			{"language", `{"external_id":"3","from":{"email":"a@b.nl"},"text":"x","language":"` + long(domain.MaxLanguageBytes+1) + `"}`},
		}
		for _, tt := range tests {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channels/%d/inbound", e.srv.URL, e.channel), strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+e.inbound)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || errCode(t, resp, b) != "too_long" {
				t.Errorf("%s: %d %s, want 400 too_long", tt.name, resp.StatusCode, b)
			}
		}
	})
}

func TestInbound_StoresAttachmentsUnderASafeBaseName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		data := base64.StdEncoding.EncodeToString([]byte("hi"))
		longName := strings.Repeat("n", 10<<10) + ".pdf"
		a := e.post(`{"external_id":"1","from":{"email":"a@b.nl"},"text":"files","attachments":[`+
			`{"filename":"../../etc/passwd","content_type":"text/plain","data":"`+data+`"},`+
			`{"filename":"`+longName+`","content_type":"application/pdf","data":"`+data+`"},`+
			`{"filename":"..","content_type":"text/plain","data":"`+data+`"}]}`, 201)
		var msgs struct{ Messages []domain.Message }
		e.do("GET", fmt.Sprintf("/api/v1/messages?ticket_id=%d", a.Ticket.ID), e.token, "", 200, &msgs)
		atts := msgs.Messages[0].Attachments
		if len(atts) != 3 {
			t.Fatalf("%d attachments, want 3", len(atts))
		}
		if atts[0].Filename != "passwd" || len(atts[1].Filename) > domain.MaxFilenameBytes ||
			!strings.HasSuffix(atts[1].Filename, ".pdf") || atts[2].Filename != "attachment" {
			t.Errorf("names %q, %d bytes ending %q, %q", atts[0].Filename, len(atts[1].Filename), atts[1].Filename[len(atts[1].Filename)-8:], atts[2].Filename)
		}
		var note domain.Message
		e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", a.Ticket.ID), e.token,
			`{"note":true,"text":"see file","attachments":[{"filename":"..\\..\\boot.ini","content_type":"text/plain","data":"`+data+`"}]}`, 201, &note)
		if len(note.Attachments) != 1 || note.Attachments[0].Filename != "boot.ini" {
			t.Errorf("agent's attachment stored as %+v, want boot.ini", note.Attachments)
		}
		resp := e.do("GET", fmt.Sprintf("/api/v1/attachments/%d", atts[1].ID), e.token, "", 200, nil)
		if cd := resp.Header.Get("Content-Disposition"); len(cd) > 2*domain.MaxFilenameBytes+100 {
			t.Errorf("Content-Disposition is %d bytes", len(cd))
		}
	})
}

func TestAPI_RefusesJSONRoutesSentAsAnythingButJSONWith415(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/teams", strings.NewReader(`{"name":"Sales"}`))
			req.Header.Set("Authorization", "Bearer "+e.token)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 415 || errCode(t, resp, b) != "unsupported_media_type" {
				t.Errorf("%q: %d %s, want 415 unsupported_media_type", ct, resp.StatusCode, b)
			}
		}
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channels/%d/inbound", e.srv.URL, e.channel),
			strings.NewReader(`{"external_id":"1","from":{"email":"a@b.nl"},"text":"x"}`))
		req.Header.Set("Authorization", "Bearer "+e.inbound)
		req.Header.Set("Content-Type", "text/plain")
		e.send(http.DefaultClient, req, 415, nil)
		e.do("POST", "/api/v1/teams", e.token, `{"name":"Sales"}`, 201, nil)
		req, _ = http.NewRequest("POST", e.srv.URL+"/api/v1/teams", strings.NewReader(`{"name":"Billing"}`))
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		e.send(http.DefaultClient, req, 201, nil)
	})
}

func TestDeadLetter_IsStoredWhateverTheErrorText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		dl := &store.DeadLetter{ChannelID: e.channel, ContentType: "application/json\x00", Payload: []byte("{\x00\xff}"), Error: "bad \x00 \xff id"}
		if err := st.AddDeadLetter(context.Background(), dl); err != nil {
			t.Fatal(err)
		}
		got, err := st.DeadLetterByID(context.Background(), dl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Payload) != "{\x00\xff}" || got.Error != "bad  \uFFFD id" {
			t.Errorf("payload %q error %q, want the payload byte for byte and the error cleaned", got.Payload, got.Error)
		}
		if err := st.ResolveDeadLetter(context.Background(), dl.ID, false, "again \x00"); err != nil {
			t.Fatal(err)
		}
	})
}
