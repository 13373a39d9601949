package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"loket.dev/loket/internal/privacy"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestPrivacy_AnAdminExportsEverythingAboutAContact(t *testing.T) {
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
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channels/%d/email", e.srv.URL, ch.ID), bytes.NewReader(eml))
		req.Header.Set("Authorization", "Bearer "+ch.InboundToken)
		req.Header.Set("Content-Type", "message/rfc822")
		var a inboundAnswer
		e.send(http.DefaultClient, req, 201, &a)
		e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", a.Ticket.ID), e.token, `{"note":true,"text":"Called her back"}`, 201, nil)

		path := fmt.Sprintf("/api/v1/privacy/contacts/%d/export", a.Contact.ID)
		e.do("GET", path, e.agentToken(), "", 403, nil)
		e.do("GET", "/api/v1/privacy/contacts/999999/export", e.token, "", 404, nil)
		get, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		get.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := http.DefaultClient.Do(get)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), a.Contact.Number) {
			t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
		}
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, f := range zr.File {
			r, _ := f.Open()
			files[f.Name], _ = io.ReadAll(r)
			r.Close()
		}
		var arch privacy.Archive
		if err := json.Unmarshal(files["contact.json"], &arch); err != nil {
			t.Fatalf("contact.json: %v", err)
		}
		if arch.Contact.Identities[0].Value != "jan@bakker.example" || len(arch.Tickets) != 1 || len(arch.Tickets[0].Timeline) < 2 {
			t.Fatalf("archive %+v", arch)
		}
		if !bytes.Equal(files[fmt.Sprintf("originals/%d.eml", a.Message.ID)], eml) {
			t.Error("the original e-mail is not in the archive as received")
		}
		if len(arch.Files) < 2 {
			t.Fatalf("files %+v: want the inline image and the original", arch.Files)
		}
		for _, f := range arch.Files {
			if len(files[f.Path]) == 0 {
				t.Errorf("%s is listed but not in the archive", f.Path)
			}
		}
		var audit []struct {
			Action string `json:"action"`
			Target string `json:"target"`
		}
		var page struct {
			Entries json.RawMessage `json:"entries"`
		}
		e.do("GET", "/api/v1/audit?action=contact.", e.token, "", 200, &page)
		json.Unmarshal(page.Entries, &audit)
		if len(audit) != 1 || audit[0].Target != a.Contact.Number {
			t.Errorf("audit %s: want the export noted", page.Entries)
		}
	})
}
