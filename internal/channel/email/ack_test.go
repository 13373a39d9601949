package email

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/hours"
	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
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
			m, err := Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			settings, _ := json.Marshal(Settings{Addresses: []string{"support@shop.example"}, AutoAck: &AutoAck{Enabled: tt.enabled}})
			d := &fakeDesk{}
			a := &Acknowledger{Sender: d}
			r := &desk.Received{Created: tt.created, Ticket: &domain.Ticket{ID: 8, Number: 1001, Subject: "Question"}, Contact: &domain.Contact{Language: tt.lang}}
			if err := a.Acknowledge(context.Background(), &domain.Channel{ID: 2, Settings: settings}, m, r); err != nil {
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
	m, err := Parse(message("Hello", "From: jan@customer.example", "Subject: Question"))
	if err != nil {
		t.Fatal(err)
	}
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
		r := &desk.Received{Created: true, Ticket: &domain.Ticket{ID: 8, Number: 1001}}
		if err := a.Acknowledge(context.Background(), ch, m, r); err != nil {
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
	b := &Inbox{Receiver: d, Deliveries: d, Acks: &Acknowledger{Sender: d}, Log: quiet}
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

func TestAcknowledger_NudgesToANamedChannelOnlyWithinItsBusinessHours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		chat := &domain.Channel{Kind: "webchat", Name: "Shop chat", Settings: []byte(`{}`)}
		if err := st.CreateChannel(ctx, chat, ""); err != nil {
			t.Fatal(err)
		}
		cal := &store.Calendar{Name: "Chat hours", Config: sla.CalendarConfig{TimeZone: "UTC",
			Hours: map[string][]sla.Range{"mon": {{Start: "09:00", End: "17:00"}}}}}
		if err := st.SaveCalendar(ctx, cal); err != nil {
			t.Fatal(err)
		}
		if err := st.SavePolicy(ctx, &sla.Policy{Name: "Chat", Enabled: true, CalendarID: cal.ID,
			Conditions: sla.Conditions{ChannelKinds: []string{"webchat"}},
			Targets:    map[string]sla.Targets{"normal": {FirstResponse: 5}}}); err != nil {
			t.Fatal(err)
		}
		m, err := Parse(message("Hello", "From: jan@customer.example", "Subject: Question"))
		if err != nil {
			t.Fatal(err)
		}
		monday := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		cases := []struct {
			name      string
			channelID int64
			at        time.Time
			hours     *hours.Service
			nudge     bool
		}{
			{"the chat is open", chat.ID, monday.Add(10 * time.Hour), hours.New(hours.Config{Store: st}), true},
			{"the chat is closed", chat.ID, monday.Add(18 * time.Hour), hours.New(hours.Config{Store: st}), false},
			{"no such channel", chat.ID + 100, monday.Add(10 * time.Hour), hours.New(hours.Config{Store: st}), false},
			{"no business hours to ask", chat.ID, monday.Add(10 * time.Hour), nil, false},
		}
		for _, c := range cases {
			settings, _ := json.Marshal(Settings{Addresses: []string{"support@shop.example"}, AutoAck: &AutoAck{Enabled: true,
				Nudge: &Nudge{URL: "https://shop.example/chat", ChannelID: c.channelID}}})
			d := &fakeDesk{}
			a := &Acknowledger{Sender: d, Hours: c.hours, Now: func() time.Time { return c.at }}
			r := &desk.Received{Created: true, Ticket: &domain.Ticket{ID: 8, Number: 1001, Subject: "Question"}}
			if err := a.Acknowledge(ctx, &domain.Channel{ID: 2, Settings: settings}, m, r); err != nil {
				t.Fatal(err)
			}
			if len(d.sent) != 1 {
				t.Fatalf("%s: sent %d acknowledgements, want 1", c.name, len(d.sent))
			}
			if got := strings.Contains(d.sent[0].Text, "https://shop.example/chat"); got != c.nudge {
				t.Errorf("%s: nudge in the acknowledgement = %v, want %v:\n%s", c.name, got, c.nudge, d.sent[0].Text)
			}
		}
	})
}
