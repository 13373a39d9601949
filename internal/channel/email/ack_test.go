package email

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
)

func TestAcknowledger_AnswersOnlyNewTicketsFromPeople(t *testing.T) {
	person := message("Hello", "From: Jan <jan@customer.example>", "Subject: Question", "Message-ID: <a@customer.example>")
	tests := []struct {
		name    string
		raw     []byte
		enabled bool
		created bool
		lang    string
		want    string // "" when no acknowledgement is expected
	}{
		{"a new ticket from a person is acknowledged in English", person, true, true, "", "ticket #1001"},
		{"a Dutch contact is acknowledged in Dutch", person, true, true, "nl", "Bedankt"},
		{"a German contact is acknowledged in German", person, true, true, "de", "Vielen Dank"},
		{"a reply on an existing ticket is not acknowledged", person, true, false, "", ""},
		{"a channel without auto_ack sends nothing", person, false, true, "", ""},
		{"an out-of-office reply is not acknowledged", readTestdata(t, "out_of_office.eml"), true, true, "", ""},
		{"a mailing list message is not acknowledged", readTestdata(t, "mailing_list.eml"), true, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings, _ := json.Marshal(Settings{Addresses: []string{"support@shop.example"}, AutoAck: &AutoAck{Enabled: tt.enabled}})
			d := &fakeDesk{}
			a := &Acknowledger{Sender: d}
			r := received(tt.raw, tt.created, tt.lang)
			if err := a.Acknowledge(context.Background(), &domain.Channel{ID: 2, Settings: settings}, r); err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(d.sent) != 0 {
					t.Fatalf("sent %+v, want nothing", d.sent[0])
				}
				return
			}
			if len(d.sent) != 1 {
				t.Fatalf("sent %d acknowledgements, want 1", len(d.sent))
			}
			out := d.sent[0]
			if out.TicketID != 8 || out.ChannelID != 2 || out.AuthorType != domain.AuthorSystem || !strings.Contains(out.Text, tt.want) || !strings.Contains(out.Text, "[#1001]") {
				t.Errorf("acknowledgement = %+v, want a system message containing %q", out, tt.want)
			}
		})
	}
}

func TestAcknowledger_WritesEachSenderAtMostOncePerHour(t *testing.T) {
	raw := message("Hello", "From: jan@customer.example", "Subject: Question")
	settings, _ := json.Marshal(Settings{Addresses: []string{"support@shop.example"}, AutoAck: &AutoAck{Enabled: true}})
	ch := &domain.Channel{ID: 2, Settings: settings}
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	d := &fakeDesk{}
	a := &Acknowledger{Sender: d, Now: func() time.Time { return now }}
	for _, step := range []struct {
		after time.Duration
		sent  int
	}{{0, 1}, {30 * time.Minute, 1}, {31 * time.Minute, 2}} {
		now = now.Add(step.after)
		if err := a.Acknowledge(context.Background(), ch, received(raw, true, "")); err != nil {
			t.Fatal(err)
		}
		if len(d.sent) != step.sent {
			t.Errorf("after %s: %d acknowledgements sent, want %d", step.after, len(d.sent), step.sent)
		}
	}
}

func TestInbox_AcknowledgesANewTicketAfterIngest(t *testing.T) {
	settings, _ := json.Marshal(Settings{Addresses: []string{"support@shop.example"}, AutoAck: &AutoAck{Enabled: true}})
	d := &fakeDesk{created: true}
	b := &Inbox{Receiver: d, Acks: &Acknowledger{Sender: d}, Log: quiet}
	if err := b.Deliver(context.Background(), &domain.Channel{ID: 3, Settings: settings}, []byte(customerMail)); err != nil {
		t.Fatal(err)
	}
	if len(d.ingested) != 1 || len(d.sent) != 1 || d.sent[0].TicketID != 1 {
		t.Errorf("ingested %d, acknowledged %+v; want one of each", len(d.ingested), d.sent)
	}
}

func TestAckText_TellsWhenToExpectAnAnswerAndNudgesToAnOpenChat(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	due := time.Date(2026, 3, 3, 9, 30, 0, 0, ams)
	tests := []struct {
		ack  Ack
		want []string
		not  []string
	}{
		{Ack{Lang: "nl", Number: 10042, Subject: "Pakket", Expect: due, NudgeURL: "https://shop.example/chat"},
			[]string{"#10042", "uiterlijk 03-03-2026 om 09:30", "chat is nu open: https://shop.example/chat", "[#10042]"}, nil},
		{Ack{Lang: "de", Number: 7, Expect: due}, []string{"Ticket #7", "03.03.2026 um 09:30"}, []string{"Chat"}},
		{Ack{Lang: "fr", Number: 7}, []string{"ticket #7", "keep [#7]"}, []string{"expect an answer", "chat"}},
	}
	for _, tt := range tests {
		got := tt.ack.Text()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tt.ack.Lang, got, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q should not contain %q", tt.ack.Lang, got, n)
			}
		}
	}
}

// waits is routing's estimate per team and kind; a missing entry is not
// staffed.
type waits map[string]time.Duration

func (w waits) EstimatedWait(teamID int64, kind string) (time.Duration, bool) {
	d, ok := w[fmt.Sprint(teamID, kind)]
	return d, ok
}

type chatChannels map[int64]*domain.Channel

func (c chatChannels) Channel(_ context.Context, id int64) (*domain.Channel, error) {
	if ch, ok := c[id]; ok {
		return ch, nil
	}
	return nil, domain.ErrNotFound
}

func TestAcknowledger_OffersTheChatOnlyWhileStaffedWithBothLiveWaits(t *testing.T) {
	chat := &domain.Channel{ID: 5, Kind: "webchat", TeamID: 3, Enabled: true}
	tests := []struct {
		name  string
		waits waits
		lang  string
		want  []string
		not   []string
	}{
		{"staffed chat in English", waits{"3webchat": 2 * time.Minute, "1email": 4 * time.Hour}, "",
			[]string{"chat is open now: https://shop.example/chat", "Chat now: about 2 minutes. By e-mail: within 4 hours."}, nil},
		{"staffed chat in Dutch, e-mail wait unknown", waits{"3webchat": 30 * time.Second}, "nl",
			[]string{"Chat nu: ongeveer 1 minuut."}, []string{"Per e-mail"}},
		{"staffed chat in German", waits{"3webchat": 5 * time.Minute, "1email": 3*time.Hour + time.Minute}, "de",
			[]string{"Chat jetzt: etwa 5 Minuten. Per E-Mail: innerhalb von 4 Stunden."}, nil},
		{"nobody online for the chat", waits{"1email": time.Hour}, "", nil, []string{"chat", "Chat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings, _ := json.Marshal(Settings{Addresses: []string{"support@shop.example"},
				AutoAck: &AutoAck{Enabled: true, Nudge: &Nudge{URL: "https://shop.example/chat", ChannelID: chat.ID}}})
			d := &fakeDesk{}
			a := &Acknowledger{Sender: d, Waits: tt.waits, Channels: chatChannels{chat.ID: chat}}
			r := received([]byte(customerMail), true, tt.lang)
			r.Ticket.TeamID = 1
			if err := a.Acknowledge(context.Background(), &domain.Channel{ID: 2, Kind: Kind, Settings: settings}, r); err != nil {
				t.Fatal(err)
			}
			if len(d.sent) != 1 {
				t.Fatalf("sent %d acknowledgements, want 1", len(d.sent))
			}
			got := d.sent[0].Text
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("%q should not contain %q", got, n)
				}
			}
		})
	}
}
