package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// fakeMTA is a real SMTP server standing in for the provider's relay: it
// records what it is given and answers DATA with reject when set.
type fakeMTA struct {
	mu     sync.Mutex
	mails  []relayed
	auth   []string
	reject *smtp.SMTPError
	addr   string
}

type relayed struct {
	from string
	to   []string
	data []byte
}

func startMTA(t *testing.T) *fakeMTA { return startTLSMTA(t, "", nil) }

// startTLSMTA starts a fake MTA speaking TLS mode mode ("" or "none" for
// plain SMTP) with certificate cert.
func startTLSMTA(t *testing.T, mode string, cert *tls.Certificate) *fakeMTA {
	t.Helper()
	m := &fakeMTA{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mtaSession{mta: m}, nil }))
	s.Domain, s.AllowInsecureAuth = "mta.test", true
	s.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case TLSImplicit:
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}})
	case TLSStartTLS:
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	m.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return m
}

func (m *fakeMTA) received() []relayed {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.mails)
}

type mtaSession struct {
	mta *fakeMTA
	cur relayed
}

func (s *mtaSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mtaSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		s.mta.mu.Lock()
		defer s.mta.mu.Unlock()
		s.mta.auth = append(s.mta.auth, user+":"+pass)
		return nil
	}), nil
}

func (s *mtaSession) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *mtaSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *mtaSession) Reset()        { s.cur = relayed{} }
func (s *mtaSession) Logout() error { return nil }
func (s *mtaSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mta.mu.Lock()
	defer s.mta.mu.Unlock()
	if s.mta.reject != nil {
		return s.mta.reject
	}
	s.cur.data = data
	s.mta.mails = append(s.mta.mails, s.cur)
	return nil
}

// history is a ticket's messages, as the store would list them.
type history []*domain.Message

func (h history) LastMessages(context.Context, int64, int) ([]*domain.Message, bool, error) {
	return h, false, nil
}

// emailChannel is an e-mail channel whose SMTP server is at addr.
func emailChannel(t *testing.T, addr string) *domain.Channel {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	settings, _ := json.Marshal(Settings{
		Addresses: []string{"support@shop.example"}, FromName: "Shop Support",
		SMTP: &Server{Host: host, Port: p, TLS: TLSNone, Username: "relay-user"},
	})
	return &domain.Channel{ID: 7, Kind: Kind, Name: "Support", Enabled: true, Settings: settings,
		Secrets: map[string]string{"smtp.password": "relay-pass"}}
}

func outbound(ch *domain.Channel) *channel.Outbound {
	to := domain.Identity{Kind: domain.IdentityEmail, Value: "jan@customer.example"}
	return &channel.Outbound{
		Channel: ch,
		Ticket:  &domain.Ticket{ID: 3, Number: 12345, Subject: "Where is my order?"},
		Contact: &domain.Contact{ID: 4, Name: "Jan Jansen"},
		Message: &domain.Message{ID: 99, TicketID: 3, ChannelID: ch.ID, Text: "It ships today.", HTML: "<p>It ships today.</p>",
			AuthorType: domain.AuthorAgent, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli(),
			Attachments: []domain.Attachment{{Filename: "invoice.pdf", ContentType: "application/pdf", SHA256: "abc"}}},
		To:             &to,
		IdempotencyKey: "loket-message-99",
		Attachment: func(context.Context, domain.Attachment) ([]byte, error) {
			return []byte("%PDF-1.4 invoice"), nil
		},
	}
}

func TestSend_RelaysAThreadedReplyWithAStableMessageID(t *testing.T) {
	mta := startMTA(t)
	ch := emailChannel(t, mta.addr)
	a := New(history{
		{ID: 90, ChannelID: 7, Direction: domain.DirectionIn, ExternalID: "first@customer.example"},
		{ID: 91, ChannelID: 7, Direction: domain.DirectionOut, ExternalID: "loket-91-aa@shop.example"},
		{ID: 92, ChannelID: 7, Direction: domain.DirectionIn, ExternalID: "second@customer.example"},
	})
	var ids []string
	for range 2 {
		sent, err := a.Send(context.Background(), outbound(ch))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sent.ExternalID)
	}
	if ids[0] != ids[1] || !strings.HasPrefix(ids[0], "loket-99-") || !strings.HasSuffix(ids[0], "@shop.example") {
		t.Fatalf("Message-IDs of a message and its retry = %q, want the same loket-99-…@shop.example", ids)
	}
	got := mta.received()
	if len(got) != 2 {
		t.Fatalf("relayed %d mails, want 2", len(got))
	}
	if got[0].from != "support@shop.example" || !slices.Equal(got[0].to, []string{"jan@customer.example"}) {
		t.Errorf("envelope = %s → %v", got[0].from, got[0].to)
	}
	if mta.auth[0] != "relay-user:relay-pass" {
		t.Errorf("authenticated as %q, want relay-user:relay-pass", mta.auth[0])
	}
	m, err := Parse(got[0].data)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"Message-ID", m.MessageID, ids[0]},
		{"Subject", m.Subject, "Re: [#12345] Where is my order?"},
		{"From", m.From.Name + " <" + m.From.Email + ">", "Shop Support <support@shop.example>"},
		{"To", m.To[0].Email, "jan@customer.example"},
		{"In-Reply-To", m.InReplyTo, "second@customer.example"},
		{"References", strings.Join(m.References, " "), "first@customer.example loket-91-aa@shop.example second@customer.example"},
		{"Text", m.Text, "It ships today."},
		{"HTML", m.HTML, "<p>It ships today.</p>"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "invoice.pdf" || string(m.Attachments[0].Data) != "%PDF-1.4 invoice" {
		t.Errorf("attachments = %+v", m.Attachments)
	}
}

func TestSend_ReplyToAllCopiesTheCCAddresses(t *testing.T) {
	mta := startMTA(t)
	out := outbound(emailChannel(t, mta.addr))
	out.Message.Meta = json.RawMessage(`{"cc":["piet@customer.example","desk@partner.example"]}`)
	if _, err := New(nil).Send(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	got := mta.received()
	want := []string{"jan@customer.example", "piet@customer.example", "desk@partner.example"}
	if len(got) != 1 || !slices.Equal(got[0].to, want) {
		t.Fatalf("envelope recipients %v, want %v", got, want)
	}
	m, _ := Parse(got[0].data)
	if len(m.Cc) != 2 || m.Cc[0].Email != "piet@customer.example" {
		t.Fatalf("Cc header %+v", m.Cc)
	}
}

func TestMessageID_IsStableButUnguessableWithoutTheKey(t *testing.T) {
	a := MessageID([]byte("key one"), "loket-message-5", 5, "support@shop.example")
	if a != MessageID([]byte("key one"), "loket-message-5", 5, "support@shop.example") {
		t.Fatal("the same message got two ids")
	}
	if a == MessageID([]byte("key two"), "loket-message-5", 5, "support@shop.example") {
		t.Fatal("another key made the same id: ids can be guessed")
	}
}

func TestSend_ClassifiesServerAnswersAsPermanentOrRetryable(t *testing.T) {
	tests := []struct {
		name      string
		reject    *smtp.SMTPError
		to        domain.Identity
		permanent bool
	}{
		{"a 5xx answer is permanent", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"},
			domain.Identity{Kind: domain.IdentityEmail, Value: "jan@customer.example"}, true},
		{"a 4xx answer is retried", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"},
			domain.Identity{Kind: domain.IdentityEmail, Value: "jan@customer.example"}, false},
		{"a recipient that is no e-mail address is permanent", nil,
			domain.Identity{Kind: domain.IdentityPhone, Value: "+31612345678"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mta := startMTA(t)
			mta.reject = tt.reject
			out := outbound(emailChannel(t, mta.addr))
			out.To = &tt.to
			_, err := New(nil).Send(context.Background(), out)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if channel.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.permanent, tt.permanent)
			}
		})
	}
}

func TestSend_RetriesWhenTheServerIsUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = New(nil).Send(context.Background(), outbound(emailChannel(t, addr)))
	if err == nil || channel.IsPermanent(err) {
		t.Fatalf("Send to a closed port = %v, want a retryable error", err)
	}
}

func TestSend_WithoutHistoryStartsANewThread(t *testing.T) {
	mta := startMTA(t)
	if _, err := New(nil).Send(context.Background(), outbound(emailChannel(t, mta.addr))); err != nil {
		t.Fatal(err)
	}
	m, err := Parse(mta.received()[0].data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "[#12345] Where is my order?" || m.InReplyTo != "" {
		t.Errorf("subject %q, In-Reply-To %q; want no Re: and no In-Reply-To", m.Subject, m.InReplyTo)
	}
}

func TestSend_MarksAcknowledgementsAsAutomatic(t *testing.T) {
	mta := startMTA(t)
	out := outbound(emailChannel(t, mta.addr))
	out.Message.AuthorType = domain.AuthorSystem
	if _, err := New(nil).Send(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	m, err := Parse(mta.received()[0].data)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("Auto-Submitted = %q, want auto-replied so that auto-responders do not answer", got)
	}
}

func TestParse_BuildsOneStandaloneInboundMessage(t *testing.T) {
	raw := message("Hello,\r\n\r\nwhere is it?\r\n\r\n> old quoted text\r\n",
		"From: Jan Jansen <Jan@Customer.example>",
		"To: support@shop.example",
		"Cc: Piet <piet@customer.example>",
		"Subject: Re: [#12345] Where is my order?",
		"Message-ID: <reply-1@customer.example>",
		"In-Reply-To: <loket-99-ab@shop.example>",
		"References: <first@customer.example> <loket-99-ab@shop.example>",
		"Date: Fri, 02 Jan 2026 10:00:00 +0100",
	)
	b, err := New(nil).Parse(&domain.Channel{ID: 7}, "message/rfc822", raw, "NL")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 1 || len(b.Statuses) != 0 {
		t.Fatalf("Parse returned %d messages and %d statuses, want 1 message", len(b.Messages), len(b.Statuses))
	}
	in := b.Messages[0]
	if in.ChannelID != 7 || in.ExternalID != "reply-1@customer.example" || in.From.Value != "jan@customer.example" || in.Name != "Jan Jansen" {
		t.Errorf("inbound = %+v", in)
	}
	if !in.Standalone || in.Automatic || in.TicketNumber != 12345 || string(in.Raw) != string(raw) {
		t.Errorf("standalone %v automatic %v ticket %d", in.Standalone, in.Automatic, in.TicketNumber)
	}
	if want := []string{"loket-99-ab@shop.example", "first@customer.example"}; !slices.Equal(in.ReplyTo, want) {
		t.Errorf("ReplyTo = %v, want %v", in.ReplyTo, want)
	}
	if strings.Contains(in.Text, "old quoted text") || !strings.Contains(in.Text, "where is it?") {
		t.Errorf("Text = %q, want only the new part", in.Text)
	}
	var md meta
	if err := json.Unmarshal(in.Meta, &md); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(md.Cc, []string{"piet@customer.example"}) || !strings.Contains(md.FullText, "old quoted text") {
		t.Errorf("meta = %+v", md)
	}
}

func TestParse_GivesAMessageWithoutMessageIDAStableID(t *testing.T) {
	raw := message("hi", "From: a@b.example", "Subject: no id")
	a, _ := New(nil).Parse(&domain.Channel{ID: 1}, "", raw, "")
	b, _ := New(nil).Parse(&domain.Channel{ID: 1}, "", raw, "")
	if a.Messages[0].ExternalID == "" || a.Messages[0].ExternalID != b.Messages[0].ExternalID {
		t.Errorf("external ids %q and %q, want the same non-empty id", a.Messages[0].ExternalID, b.Messages[0].ExternalID)
	}
}

func TestBounce_NamesTheMessageThatFailed(t *testing.T) {
	m := parseFile(t, "bounce_dsn.eml")
	id, reason, ok := Bounce(m)
	if !ok || id == "" || reason == "" {
		t.Fatalf("Bounce = %q, %q, %v; want the original id and a reason", id, reason, ok)
	}
	if id != m.DSN.OriginalMessageID || m.Report == nil || m.Report.Type != ReportDeliveryStatus {
		t.Errorf("id %q, want %q", id, m.DSN.OriginalMessageID)
	}
	if _, _, ok := Bounce(parseFile(t, "out_of_office.eml")); ok {
		t.Error("an out-of-office reply was taken for a bounce")
	}
}

func TestValidate_ExplainsWhatIsWrong(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		secrets  map[string]string
		problem  string
	}{
		{"a complete channel is valid", `{"addresses":["support@shop.example"],"smtp":{"host":"smtp.example","username":"u"},"imap":{"host":"imap.example","username":"u"}}`,
			map[string]string{"smtp.password": "p", "imap.password": "p"}, ""},
		{"unknown fields are refused", `{"addresses":["support@shop.example"],"smtp":{"host":"h"},"colour":"red"}`, nil, "colour"},
		{"an address is required", `{"smtp":{"host":"h"}}`, nil, "addresses"},
		{"addresses must be plain", `{"addresses":["Support <s@x.example>"],"smtp":{"host":"h"}}`, nil, "addresses[0]"},
		{"smtp is required", `{"addresses":["s@x.example"]}`, nil, "smtp is required"},
		{"tls must be known", `{"addresses":["s@x.example"],"smtp":{"host":"h","tls":"ssl"}}`, nil, "smtp.tls"},
		{"a username needs a password", `{"addresses":["s@x.example"],"smtp":{"host":"h","username":"u"}}`, nil, "smtp.password"},
		{"imap needs a username", `{"addresses":["s@x.example"],"smtp":{"host":"h"},"imap":{"host":"h"}}`, nil, "imap.username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(nil).Validate(json.RawMessage(tt.settings), tt.secrets)
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("Validate = %v, want a domain error about %s", err, tt.problem)
			}
		})
	}
}

// testCert is a self-signed certificate for 127.0.0.1 and a pool trusting it.
func testCert(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mta.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestSend_SpeaksTheConfiguredTLSMode(t *testing.T) {
	cert, roots := testCert(t)
	for _, mode := range []string{TLSImplicit, TLSStartTLS} {
		t.Run(mode+" TLS is verified and used", func(t *testing.T) {
			mta := startTLSMTA(t, mode, cert)
			ch := emailChannel(t, mta.addr)
			var s Settings
			json.Unmarshal(ch.Settings, &s)
			s.SMTP.TLS = mode
			ch.Settings, _ = json.Marshal(s)
			a := &Adapter{Dialer: &Dialer{TLSConfig: &tls.Config{RootCAs: roots}}}
			if _, err := a.Send(context.Background(), outbound(ch)); err != nil {
				t.Fatal(err)
			}
			if len(mta.received()) != 1 {
				t.Fatalf("relayed %d mails, want 1", len(mta.received()))
			}
			if _, err := New(nil).Send(context.Background(), outbound(ch)); err == nil || channel.IsPermanent(err) {
				t.Errorf("Send with an untrusted certificate = %v, want a retryable error", err)
			}
		})
	}
}

func TestParse_ReportsBecomeStatusesOnTheMailTheyAreAbout(t *testing.T) {
	tests := []struct {
		file     string
		original string
		status   domain.DeliveryStatus // "" when no status is reported
		reason   string
	}{
		{"bounce_dsn.eml", "ticket-1046-msg-2@loket.example", domain.DeliveryFailed, "5.1.1"},
		{"bounce_postfix.eml", "loket-2-postfix@shop.example", domain.DeliveryFailed, "User unknown"},
		{"read_receipt_mdn.eml", "loket-3-mdn@shop.example", domain.DeliveryRead, ""},
		{"feedback_report.eml", "loket-4-arf@shop.example", domain.DeliveryDelivered, ""},
		{"out_of_office.eml", "", "", ""},
		{"outlook_reply.eml", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := New(nil).Parse(&domain.Channel{ID: 7}, ContentType, readTestdata(t, tt.file), "NL")
			if err != nil {
				t.Fatal(err)
			}
			in := b.Messages[0]
			report := tt.original != ""
			if in.ThreadOnly != report || (report && (!in.Automatic || !slices.Contains(in.ReplyTo, tt.original))) {
				t.Errorf("thread only %v, automatic %v, reply to %v; a report must only join the thread of %q",
					in.ThreadOnly, in.Automatic, in.ReplyTo, tt.original)
			}
			if tt.status == "" {
				if len(b.Statuses) != 0 {
					t.Errorf("statuses %+v, want none", b.Statuses)
				}
				return
			}
			if len(b.Statuses) != 1 || b.Statuses[0].ExternalID != tt.original || b.Statuses[0].Status != tt.status ||
				!strings.Contains(b.Statuses[0].Reason, tt.reason) {
				t.Errorf("statuses %+v, want %s for %s with %q", b.Statuses, tt.status, tt.original, tt.reason)
			}
			var md meta
			json.Unmarshal(in.Meta, &md)
			if !md.NoAck || md.Auto == "" {
				t.Errorf("meta %+v: a report must never be acknowledged", md)
			}
		})
	}
}
