package email

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
)

// fakeDesk records what the transports hand to the core. Ingest fails with
// err when set.
type fakeDesk struct {
	mu       sync.Mutex
	err      error
	ingested []ingestCall
	sent     []*desk.Outgoing
	created  bool // whether Ingest reports a new ticket
}

type ingestCall struct {
	channelID   int64
	contentType string
	body        []byte
}

func (d *fakeDesk) Ingest(_ context.Context, ch *domain.Channel, contentType string, body []byte) (*desk.Ingested, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	d.ingested = append(d.ingested, ingestCall{ch.ID, contentType, body})
	r := received(body, d.created, "")
	r.Ticket.ID, r.Ticket.Number = int64(len(d.ingested)), 1000+int64(len(d.ingested))
	return &desk.Ingested{Received: []*desk.Received{r}}, nil
}

func (d *fakeDesk) Send(_ context.Context, out *desk.Outgoing) (*domain.Message, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent = append(d.sent, out)
	return &domain.Message{ID: 1}, nil
}

func (d *fakeDesk) calls() []ingestCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]ingestCall(nil), d.ingested...)
}

// received is what the desk would answer for a mail the adapter parsed: a
// message with the address and meta of that parse, on a new ticket when
// created, from a contact of language lang.
func received(raw []byte, created bool, lang string) *desk.Received {
	m := &domain.Message{ID: 1, Direction: domain.DirectionIn, AuthorType: domain.AuthorContact}
	if b, err := New(nil).Parse(&domain.Channel{ID: 1, Kind: Kind}, ContentType, raw, "NL"); err == nil {
		m.Address, m.Meta = &b.Messages[0].From, b.Messages[0].Meta
	}
	return &desk.Received{Created: created, Message: m,
		Ticket: &domain.Ticket{ID: 8, Number: 1001, Subject: "Question"}, Contact: &domain.Contact{Language: lang}}
}

// channels is a fixed channel list.
type channels []*domain.Channel

func (c channels) Channels(context.Context, string) ([]*domain.Channel, error) { return c, nil }

// inboundChannel is an enabled e-mail channel receiving for addrs.
func inboundChannel(id int64, enabled bool, addrs ...string) *domain.Channel {
	settings, _ := json.Marshal(Settings{Addresses: addrs, SMTP: &Server{Host: "smtp.example"}})
	return &domain.Channel{ID: id, Kind: Kind, Enabled: enabled, Settings: settings}
}

// startReceiver serves an SMTP receiver for chs backed by d.
func startReceiver(t *testing.T, d *fakeDesk, max int64, chs ...*domain.Channel) string {
	t.Helper()
	return serveReceiver(t, &SMTPReceiver{Channels: channels(chs), Inbox: &Inbox{Receiver: d, Log: quiet}, MaxMessageBytes: max, Log: quiet})
}

// submit sends one mail and returns the server's SMTP code (250 on success).
func submit(t *testing.T, addr, from string, to []string, body string) int {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.SendMail(from, to, strings.NewReader(body))
	if err == nil {
		return 250
	}
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("SendMail: %v", err)
	}
	return se.Code
}

const customerMail = "From: Jan <jan@customer.example>\r\nTo: support@shop.example\r\nSubject: Question\r\nMessage-ID: <q1@customer.example>\r\n\r\nWhere is my order?\r\n"

func TestSMTPReceiver_AnswersByOutcome(t *testing.T) {
	tests := []struct {
		name     string
		to       []string
		body     string
		max      int64
		err      error
		code     int
		ingested int
	}{
		{"a mail for a channel address is ingested and accepted", []string{"Support@Shop.example"}, customerMail, 0, nil, 250, 1},
		{"an unknown recipient is refused", []string{"nobody@shop.example"}, customerMail, 0, nil, 550, 0},
		{"an address of a disabled channel is refused", []string{"old@shop.example"}, customerMail, 0, nil, 550, 0},
		{"a failed ingest asks the sender to retry", []string{"support@shop.example"}, customerMail, 0, errors.New("database down"), 451, 0},
		{"an ingest refusing the mail is permanent", []string{"support@shop.example"}, customerMail, 0, domain.Invalid("missing_sender", "no From"), 554, 0},
		{"a mail over the size limit is refused", []string{"support@shop.example"}, customerMail + strings.Repeat(strings.Repeat("x", 70)+"\r\n", 30), 1024, nil, 552, 0},
		{"two addresses of one channel ingest once", []string{"support@shop.example", "help@shop.example"}, customerMail, 0, nil, 250, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDesk{err: tt.err}
			addr := startReceiver(t, d, tt.max, inboundChannel(1, true, "support@shop.example", "help@shop.example"), inboundChannel(2, false, "old@shop.example"))
			if code := submit(t, addr, "jan@customer.example", tt.to, tt.body); code != tt.code {
				t.Errorf("answer = %d, want %d", code, tt.code)
			}
			ingested := d.calls()
			if len(ingested) != tt.ingested {
				t.Fatalf("ingested %d mails, want %d", len(ingested), tt.ingested)
			}
			for _, c := range ingested {
				if c.channelID != 1 || c.contentType != ContentType || !strings.HasPrefix(string(c.body), "Return-Path: <jan@customer.example>\r\n") ||
					!strings.Contains(string(c.body), "Where is my order?") {
					t.Errorf("ingested %+v", c)
				}
			}
		})
	}
}

// readTestdata reads testdata/name.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
