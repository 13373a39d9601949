package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"loket.dev/loket/internal/blob"
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
		searchHits := func(q string) int {
			var res struct {
				Tickets  []json.RawMessage `json:"tickets"`
				Contacts []json.RawMessage `json:"contacts"`
			}
			e.do("GET", "/api/v1/search?q="+q, e.token, "", 200, &res)
			return len(res.Tickets) + len(res.Contacts)
		}
		if searchHits("damage") == 0 {
			t.Fatal("the mail's text is not found before the erasure")
		}
		erase := fmt.Sprintf("/api/v1/privacy/contacts/%d/erase", a.Contact.ID)
		e.do("POST", erase, e.token, `{"confirm":"C-999999"}`, 422, nil)
		e.do("POST", erase, e.agentToken(), fmt.Sprintf(`{"confirm":%q}`, a.Contact.Number), 403, nil)
		e.do("POST", erase, e.token, fmt.Sprintf(`{"confirm":%q}`, a.Contact.Number), 200, nil)
		var detail struct {
			Subject string `json:"subject"`
			Status  string `json:"status"`
			Contact struct {
				Name       string            `json:"name"`
				Identities []json.RawMessage `json:"identities"`
			} `json:"contact"`
			Messages []struct {
				Kind        string            `json:"kind"`
				Text        string            `json:"text"`
				HTML        string            `json:"html"`
				HasRaw      bool              `json:"has_raw"`
				Attachments []json.RawMessage `json:"attachments"`
			} `json:"messages"`
		}
		e.do("GET", fmt.Sprintf("/api/v1/tickets/%d", a.Ticket.ID), e.token, "", 200, &detail)
		if detail.Contact.Name != "Erased contact" || len(detail.Contact.Identities) != 0 || detail.Subject != "" || detail.Status == "" {
			t.Fatalf("after the erasure: %+v", detail)
		}
		if len(detail.Messages) < 2 {
			t.Fatalf("timeline %+v: want the entries kept, without their text", detail.Messages)
		}
		for _, m := range detail.Messages {
			if m.Text != "" || m.HTML != "" || m.HasRaw || len(m.Attachments) != 0 {
				t.Errorf("entry %+v still holds what was written", m)
			}
		}
		e.do("GET", fmt.Sprintf("/api/v1/messages/%d/raw", a.Message.ID), e.token, "", 404, nil)
		for _, f := range arch.Files {
			if r, err := e.blobs.Open(context.Background(), f.SHA256); !errors.Is(err, blob.ErrNotFound) {
				if r != nil {
					r.Close()
				}
				t.Errorf("file %s is still kept (%v)", f.Path, err)
			}
		}
		if n := searchHits("damage"); n != 0 {
			t.Errorf("search still finds the erased text (%d hits)", n)
		}
		e.do("GET", "/api/v1/audit?action=contact.erase", e.token, "", 200, &page)
		json.Unmarshal(page.Entries, &audit)
		if len(audit) != 1 {
			t.Errorf("audit %s: want the erasure noted", page.Entries)
		}
	})
}
