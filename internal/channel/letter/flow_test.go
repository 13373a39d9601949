package letter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/channel/letter"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

const letterhead = `{"company":"Fietsenmakerij Ödön B.V.","address":["Kerkstraat 12","1017 GM Amsterdam"],
	"footer":["+31 20 123 4567","IBAN NL91 ABNA 0417 1643 00"],"time_zone":"Europe/Amsterdam"}`

type letterEnv struct {
	*channeltest.Env
	ch channeltest.Channel
}

func startLetters(t *testing.T, st *store.Store) *letterEnv {
	t.Helper()
	e := channeltest.Start(t, st, channeltest.Options{}, func(*desk.Desk) []channel.Adapter { return []channel.Adapter{letter.New(), api.New()} })
	return &letterEnv{Env: e, ch: e.CreateChannel(letter.Kind, letterhead)}
}

// registered is the answer of POST /api/v1/letters.
type registered struct {
	Ticket  domain.Ticket  `json:"ticket"`
	Message domain.Message `json:"message"`
	Contact domain.Contact `json:"contact"`
}

// register posts a letter form with a scan and checks the status.
func (e *letterEnv) register(fields map[string]string, scan []byte, want int, out any) []byte {
	e.T.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if scan != nil {
		f, _ := w.CreateFormFile("file", "brief.pdf")
		f.Write(scan)
	}
	w.Close()
	req, _ := http.NewRequest("POST", e.URL+"/api/v1/letters", &body)
	req.Header.Set("Authorization", "Bearer "+e.Token)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return e.Check(req, want, out)
}

// customerLetter is a letter as a customer's word processor makes it.
func customerLetter(t *testing.T, text string) []byte {
	t.Helper()
	var pdf bytes.Buffer
	err := letter.Render(&pdf, &letter.Page{Company: "Jürgen Müller", CompanyAddress: []string{"Großbeerenstraße 5", "10963 Berlin"},
		Recipient: []string{"Fietsenmakerij Ödön B.V.", "Kerkstraat 12"}, Language: "de",
		Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Body: text})
	if err != nil {
		t.Fatal(err)
	}
	return pdf.Bytes()
}

func TestLetters_RegisteredPDFIsOnTheTimelineAndFoundBySearch(t *testing.T) {
	letter.NeedTool(t, "pdftotext")
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := startLetters(t, st)
		var got registered
		e.register(map[string]string{
			"channel_id": fmt.Sprint(e.ch.ID), "name": "Jürgen Müller", "address": "Großbeerenstraße 5\r\n10963 Berlin",
			"email": "jurgen@example.de", "received_at": "2026-12-02", "summary": "Complaint about the repair",
		}, customerLetter(t, "Mein Fahrrad quietscht nach der Reparatur immer noch."), 201, &got)

		m := got.Message
		if m.Kind != domain.KindLetter || m.Direction != domain.DirectionIn || m.AuthorType != domain.AuthorContact {
			t.Errorf("letter entry is %s %s by %s, want an inbound letter from the contact", m.Kind, m.Direction, m.AuthorType)
		}
		if !strings.HasPrefix(m.Text, "Complaint about the repair\n\n") || !strings.Contains(m.Text, "quietscht") {
			t.Errorf("letter text is %q, want the summary and then the scan's text", m.Text)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].ContentType != letter.TypePDF || m.Attachments[0].Filename != "brief.pdf" {
			t.Errorf("letter attachments = %+v, want the scan", m.Attachments)
		}
		var meta struct {
			Letter struct {
				ReceivedOn string `json:"received_on"`
				Source     string `json:"text_source"`
			} `json:"letter"`
		}
		if err := json.Unmarshal(m.Meta, &meta); err != nil || meta.Letter.ReceivedOn != "2026-12-02" || meta.Letter.Source != letter.SourcePDF {
			t.Errorf("letter meta = %s, want received_on 2026-12-02 and text_source pdftotext", m.Meta)
		}
		if got.Ticket.Status != domain.StatusNew || got.Ticket.Subject != "Complaint about the repair" || got.Ticket.FirstCustomerAt == 0 {
			t.Errorf("ticket = %+v, want a new ticket about the complaint that counts the customer's contact", got.Ticket)
		}
		c := e.Contact(got.Contact.ID)
		if c.Name != "Jürgen Müller" || c.Address != "Großbeerenstraße 5\n10963 Berlin" || len(c.Identities) != 1 {
			t.Errorf("contact = %+v, want Jürgen with his postal address and e-mail", c)
		}

		var found struct {
			Tickets []domain.Ticket `json:"tickets"`
		}
		e.Do("GET", "/api/v1/search?q="+url.QueryEscape("quietscht"), "", 200, &found)
		if len(found.Tickets) != 1 || found.Tickets[0].ID != got.Ticket.ID {
			t.Errorf("search for a word of the scan found %+v, want ticket %d", found.Tickets, got.Ticket.ID)
		}

		// A second letter from the same e-mail address, on the solved
		// ticket, reopens it and keeps the contact's address.
		e.Do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", got.Ticket.ID), `{"status":"solved"}`, 200, nil)
		var again registered
		e.register(map[string]string{"channel_id": fmt.Sprint(e.ch.ID), "ticket_id": fmt.Sprint(got.Ticket.ID),
			"address": "Elsewhere 1\nHamburg", "summary": "Reminder"}, customerLetter(t, "Noch einmal."), 201, &again)
		if again.Ticket.ID != got.Ticket.ID || again.Ticket.Status != domain.StatusOpen || again.Contact.ID != got.Contact.ID {
			t.Errorf("second letter went to ticket %d (%s) of contact %d, want ticket %d reopened for contact %d",
				again.Ticket.ID, again.Ticket.Status, again.Contact.ID, got.Ticket.ID, got.Contact.ID)
		}
		if c := e.Contact(got.Contact.ID); c.Address != "Großbeerenstraße 5\n10963 Berlin" {
			t.Errorf("a letter from elsewhere changed the contact's address to %q", c.Address)
		}
	})
}

func TestLetters_AnswerIsPrintedOnTheLetterheadAndPostedByAnAgent(t *testing.T) {
	letter.NeedTool(t, "pdftotext")
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := startLetters(t, st)
		var c domain.Contact
		e.Do("POST", "/api/v1/contacts", `{"name":"Élodie Dupré","language":"fr","address":"12 rue de l'Église\n75004 Paris"}`, 201, &c)
		var got registered
		e.register(map[string]string{"channel_id": fmt.Sprint(e.ch.ID), "contact_id": fmt.Sprint(c.ID), "summary": "Question"},
			customerLetter(t, "Bonjour"), 201, &got)

		reply := e.Reply(got.Ticket.ID, `{"text":"Madame,\n\nla réparation coûte 12,50 €.\n\nCordialement"}`, 201)
		var printed *domain.Message
		e.Wait("the letter is printed", func() bool {
			printed = e.Message(reply.ID)
			return printed.ExternalID != ""
		})
		if printed.DeliveryStatus != domain.DeliveryQueued || len(printed.Attachments) != 1 {
			t.Fatalf("printed letter is %s with %d attachments, want queued with its PDF", printed.DeliveryStatus, len(printed.Attachments))
		}
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/attachments/%d", e.URL, printed.Attachments[0].ID), nil)
		req.Header.Set("Authorization", "Bearer "+e.Token)
		pdf := e.Check(req, 200, nil)
		text := strings.Join(strings.Fields(letter.Extract(context.Background(), pdf).Text), " ")
		for _, want := range []string{"Fietsenmakerij Ödön B.V.", "Élodie Dupré", "12 rue de l'Église", "75004 Paris",
			"Objet: Question", fmt.Sprintf("Notre référence: #%d", got.Ticket.Number), "la réparation coûte 12,50 €.", "IBAN NL91"} {
			if !strings.Contains(text, want) {
				t.Errorf("the printed letter does not read %q:\n%s", want, text)
			}
		}

		var posted domain.Message
		e.Do("POST", fmt.Sprintf("/api/v1/messages/%d/posted", reply.ID), "", 200, &posted)
		if posted.DeliveryStatus != domain.DeliverySent {
			t.Errorf("posted letter is %s, want sent", posted.DeliveryStatus)
		}
		e.Do("POST", fmt.Sprintf("/api/v1/messages/%d/posted", reply.ID), "", 200, &posted)
		if posted.DeliveryStatus != domain.DeliverySent {
			t.Errorf("posting a letter twice left it %s, want sent", posted.DeliveryStatus)
		}
		e.Do("POST", fmt.Sprintf("/api/v1/messages/%d/posted", got.Message.ID), "", 422, nil)
	})
}

func TestLetters_AnswerToAContactWithoutAddressFailsWithTheReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := startLetters(t, st)
		var c domain.Contact
		e.Do("POST", "/api/v1/contacts", `{"name":"Anna"}`, 201, &c)
		var got registered
		e.register(map[string]string{"channel_id": fmt.Sprint(e.ch.ID), "contact_id": fmt.Sprint(c.ID)}, []byte("\x89PNG\r\n\x1a\nscan"), 201, &got)
		reply := e.Reply(got.Ticket.ID, `{"text":"Dear Anna"}`, 201)
		e.Wait("the letter fails", func() bool { return e.Message(reply.ID).DeliveryStatus == domain.DeliveryFailed })
		if m := e.Message(reply.ID); !strings.Contains(m.DeliveryError, "no postal address") {
			t.Errorf("delivery error is %q, want it to name the missing postal address", m.DeliveryError)
		}
		e.Do("POST", fmt.Sprintf("/api/v1/messages/%d/posted", reply.ID), "", 422, nil)
	})
}

func TestContacts_PostalAddressIsEditedAndKeptByAMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := startLetters(t, st)
		var survivor, merged domain.Contact
		e.Do("POST", "/api/v1/contacts", `{"name":"Anna"}`, 201, &survivor)
		e.Do("POST", "/api/v1/contacts", `{"name":"Anna de Vries","address":" Dorpsstraat 1 \r\n\r\n1234 AB  Ede"}`, 201, &merged)
		if merged.Address != "Dorpsstraat 1\n1234 AB Ede" {
			t.Errorf("address stored as %q, want it normalised", merged.Address)
		}
		e.Do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", merged.ID), `{"address":"Dorpsstraat 2\n1234 AB Ede"}`, 200, nil)
		e.Do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", merged.ID), `{"address":"`+strings.Repeat(`line\n`, 11)+`"}`, 422, nil)
		e.Do("POST", fmt.Sprintf("/api/v1/contacts/%d/merge", survivor.ID), fmt.Sprintf(`{"contact_id":%d}`, merged.ID), 200, nil)
		if c := e.Contact(survivor.ID); c.Address != "Dorpsstraat 2\n1234 AB Ede" {
			t.Errorf("after the merge the address is %q, want the merged contact's", c.Address)
		}
	})
}

func TestLetters_BadRegistrationsAreRefusedWithACode(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	e := startLetters(t, st)
	api := e.CreateChannel("api", `{}`)
	pdf := customerLetter(t, "Hallo")
	ch := fmt.Sprint(e.ch.ID)
	for _, tc := range []struct {
		name   string
		fields map[string]string
		scan   []byte
		status int
		code   string
	}{
		{"no channel", map[string]string{"name": "A", "address": "B"}, pdf, 422, "invalid_channel_id"},
		{"not a letter channel", map[string]string{"channel_id": fmt.Sprint(api.ID), "name": "A", "address": "B"}, pdf, 422, "invalid_channel"},
		{"no scan", map[string]string{"channel_id": ch, "name": "A", "address": "B"}, nil, 422, "missing_scan"},
		{"not a scan", map[string]string{"channel_id": ch, "name": "A", "address": "B"}, []byte("<html>"), 422, "unsupported_scan"},
		{"no sender", map[string]string{"channel_id": ch}, pdf, 422, "missing_sender"},
		{"bad date", map[string]string{"channel_id": ch, "name": "A", "address": "B", "received_at": "1-12-2026"}, pdf, 422, "invalid_received_at"},
		{"future date", map[string]string{"channel_id": ch, "name": "A", "address": "B", "received_at": "2999-01-01"}, pdf, 422, "invalid_received_on"},
		{"ticket and contact", map[string]string{"channel_id": ch, "ticket_id": "1", "contact_id": "1"}, pdf, 422, "invalid_sender"},
		{"unknown ticket", map[string]string{"channel_id": ch, "ticket_id": "999"}, pdf, 404, "not_found"},
		{"bad e-mail", map[string]string{"channel_id": ch, "name": "A", "address": "B", "email": "nope"}, pdf, 422, "invalid_email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var answer struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			e.register(tc.fields, tc.scan, tc.status, &answer)
			if answer.Error.Code != tc.code {
				t.Errorf("error code %q, want %q", answer.Error.Code, tc.code)
			}
		})
	}
	req, _ := http.NewRequest("POST", e.URL+"/api/v1/letters", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+e.Token)
	req.Header.Set("Content-Type", "application/json")
	e.Check(req, 415, nil)
}

func TestValidate_RefusesAnIncompleteLetterhead(t *testing.T) {
	for _, tc := range []struct{ settings, code string }{
		{`{"address":["Street 1"]}`, "invalid_company"},
		{`{"company":"X"}`, "invalid_address"},
		{`{"company":"X","address":["A"],"footer":["1","2","3","4","5"]}`, "invalid_footer"},
		{`{"company":"X","address":["A"],"logo":"aGVsbG8="}`, "invalid_logo"},
		{`{"company":"X","address":["A"],"time_zone":"Mars/Olympus"}`, "invalid_time_zone"},
		{`{"company":"X","address":["A"],"colour":"red"}`, "invalid_settings"},
		{letterhead, ""},
	} {
		err := letter.New().Validate(json.RawMessage(tc.settings), nil)
		var de *domain.Error
		if tc.code == "" && err != nil || tc.code != "" && (!errors.As(err, &de) || de.Code != tc.code) {
			t.Errorf("Validate(%s) = %v, want code %q", tc.settings, err, tc.code)
		}
	}
}
