package email

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// TestFlow_MailTicketAcknowledgementBounceAndReply runs the e-mail channel
// against the real desk and store: a customer's mail opens a ticket, the
// acknowledgement goes out over SMTP, its bounce marks it failed and joins
// the ticket as an automatic message without reopening it or adding a
// contact, and the customer's reply to it lands on the same ticket. Each
// mail is parsed once.
func TestFlow_MailTicketAcknowledgementBounceAndReply(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mta := startMTA(t)
	ch := emailChannel(t, mta.addr)
	var s Settings
	json.Unmarshal(ch.Settings, &s)
	s.AutoAck = &AutoAck{Enabled: true}
	ch.Settings, _ = json.Marshal(s)
	ch.ID = 0
	if err := New(nil).Validate(ch.Settings, ch.Secrets); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateChannel(ctx, ch, "email-token-hash"); err != nil {
		t.Fatal(err)
	}
	d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(New(st)), Region: "NL", Log: quiet})
	t.Cleanup(d.Close)
	inbox := &Inbox{Receiver: d, Acks: &Acknowledger{Sender: d}, Log: quiet}

	parsesBefore := parses.Load()
	if err := inbox.Deliver(ctx, ch, []byte(customerMail)); err != nil {
		t.Fatal(err)
	}
	if n := parses.Load() - parsesBefore; n != 1 {
		t.Errorf("the mail was parsed %d times, want once", n)
	}
	jobs, err := st.Claim(ctx, 10, 60_000)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claimed %d jobs (%v), want the acknowledgement", len(jobs), err)
	}
	d.Deliver(ctx, jobs[0])
	ack, err := st.Message(ctx, jobs[0].MessageID)
	if err != nil {
		t.Fatal(err)
	}
	relayed := mta.received()
	if ack.DeliveryStatus != domain.DeliverySent || len(relayed) != 1 || !strings.Contains(string(relayed[0].data), "<"+ack.ExternalID+">") {
		t.Fatalf("acknowledgement status %q, external id %q, relayed %d", ack.DeliveryStatus, ack.ExternalID, len(relayed))
	}
	sentMail, err := Parse(relayed[0].data)
	if err != nil {
		t.Fatal(err)
	}
	if sentMail.InReplyTo != "q1@customer.example" || !strings.HasPrefix(sentMail.Subject, "Re: [#") {
		t.Errorf("acknowledgement In-Reply-To %q, subject %q", sentMail.InReplyTo, sentMail.Subject)
	}

	bounce := strings.ReplaceAll(string(readTestdata(t, "bounce_dsn.eml")), "ticket-1046-msg-2@loket.example", ack.ExternalID)
	if err := inbox.Deliver(ctx, ch, []byte(bounce)); err != nil {
		t.Fatal(err)
	}
	if ack, _ = st.Message(ctx, ack.ID); ack.DeliveryStatus != domain.DeliveryFailed || !strings.Contains(ack.DeliveryError, "5.1.1") {
		t.Errorf("after the bounce: status %q, error %q; want failed with the reason", ack.DeliveryStatus, ack.DeliveryError)
	}
	if tk, _ := st.Ticket(ctx, ack.TicketID); tk.Status != domain.StatusNew {
		t.Errorf("after the bounce the ticket is %s, want it left new", tk.Status)
	}
	bounceFrom, _ := Parse([]byte(bounce))
	if _, err := st.ContactIDByIdentity(ctx, domain.Identity{Kind: domain.IdentityEmail, Value: bounceFrom.From.Email}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("looking up the bounce's sender %q: %v; it must not become a contact", bounceFrom.From.Email, err)
	}

	reply := "From: Jan <jan@customer.example>\r\nSubject: " + sentMail.Subject + "\r\nMessage-ID: <q2@customer.example>\r\n" +
		"In-Reply-To: <" + ack.ExternalID + ">\r\n\r\nThanks!\r\n"
	if err := inbox.Deliver(ctx, ch, []byte(reply)); err != nil {
		t.Fatal(err)
	}
	msgs, err := st.Messages(ctx, ack.TicketID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range msgs {
		kinds = append(kinds, string(m.Direction)+":"+m.ExternalID)
	}
	if len(msgs) != 4 || msgs[2].AuthorType != domain.AuthorSystem || msgs[3].ExternalID != "q2@customer.example" {
		t.Errorf("ticket messages = %v, want the mail, the acknowledgement, the bounce and the reply", kinds)
	}
	if more, _ := st.Claim(ctx, 10, 60_000); len(more) != 0 {
		t.Errorf("%d more deliveries queued; a reply on an existing ticket must not be acknowledged", len(more))
	}
}
