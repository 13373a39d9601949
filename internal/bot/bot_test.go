package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/phonetest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/kb/kbtest"
	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

type fixedWait struct {
	wait    time.Duration
	staffed bool
}

func (f fixedWait) EstimatedWait(int64, string) (time.Duration, bool) { return f.wait, f.staffed }

type harness struct {
	t     *testing.T
	st    *store.Store
	bot   *Bot
	desk  *desk.Desk
	waits Waits
	kb    *kbtest.Fixture
	ch    *domain.Channel
	phone *domain.Channel // the telephone channel that takes callbacks
	n     int
}

// saturday is a Saturday morning in Amsterdam, outside office hours.
var saturday = time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, st *store.Store, kind, settings string, waits Waits) *harness {
	t.Helper()
	ctx := context.Background()
	f, err := kbtest.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	cal := &store.Calendar{Name: "Office", Config: sla.CalendarConfig{TimeZone: "Europe/Amsterdam", Hours: map[string][]sla.Range{
		"mon": {{Start: "09:00", End: "17:00"}}, "tue": {{Start: "09:00", End: "17:00"}}, "wed": {{Start: "09:00", End: "17:00"}},
		"thu": {{Start: "09:00", End: "17:00"}}, "fri": {{Start: "09:00", End: "17:00"}}}}}
	if err := st.SaveCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	team := &domain.Team{Name: "Support"}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	phone := &domain.Channel{Kind: "phone", Name: "Phone", TeamID: team.ID, Enabled: true, Settings: json.RawMessage(`{}`)}
	if err := st.CreateChannel(ctx, phone, "voice-"+t.Name()); err != nil {
		t.Fatal(err)
	}
	settings = strings.ReplaceAll(settings, "CAL", fmt.Sprint(cal.ID))
	settings = strings.ReplaceAll(settings, "VOICE", fmt.Sprint(phone.ID))
	ch := &domain.Channel{Kind: kind, Name: "Shop", TeamID: team.ID, Enabled: true, Settings: json.RawMessage(settings)}
	if err := st.CreateChannel(ctx, ch, "hash-"+t.Name()); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	channels := channel.NewRegistry(api.New(), kiosk{}, &phonetest.Phone{})
	b := New(Config{Store: st, BaseURL: "https://help.example", Log: log, Now: func() time.Time { return saturday }, Channels: channels})
	d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channels, Region: "NL", Log: log, BotActive: b.Active})
	t.Cleanup(d.Close)
	return &harness{t: t, st: st, bot: b, desk: d, waits: waits, kb: f, ch: ch, phone: phone}
}

// kiosk is a channel kind of these tests only, whose capabilities show
// quick replies as buttons: the bot asks capabilities, never a kind's name.
type kiosk struct{ *api.Adapter }

func (kiosk) Kind() string { return "kiosk" }
func (kiosk) Capabilities() channel.Capabilities {
	return channel.Capabilities{Buttons: true}
}

// say sends a customer message (a quick reply when it starts with "@",
// such as "@article:en-return" or "@yes") and lets the bot answer it.
func (h *harness) say(text string) *domain.Ticket {
	h.t.Helper()
	r := h.receive("jan@example.nl", text)
	if err := h.bot.Handle(context.Background(), Env{Desk: h.desk, Waits: h.waits}, r.Message); err != nil {
		h.t.Fatal(err)
	}
	t, err := h.st.Ticket(context.Background(), r.Ticket.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// receive takes in a customer message from the address from, like say,
// without letting the bot answer.
func (h *harness) receive(from, text string) *desk.Received {
	h.t.Helper()
	h.n++
	in := &channel.Inbound{ChannelID: h.ch.ID, ExternalID: fmt.Sprint("m", h.n), From: domain.Identity{Kind: "email", Value: from}, Text: text}
	if id, ok := strings.CutPrefix(text, "@"); ok {
		if key, ok := strings.CutPrefix(id, "article:"); ok {
			id = fmt.Sprintf("article:%d", h.kb.Articles[key].ID)
		}
		if key, ok := strings.CutPrefix(id, "category:"); ok {
			id = fmt.Sprintf("category:%d", h.kb.Categories[key].ID)
		}
		in.Text = id
		in.Meta, _ = json.Marshal(map[string]string{"quick_reply": id})
	}
	r, err := h.desk.Receive(context.Background(), in)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// answers returns the bot's customer-facing messages on a ticket.
func (h *harness) answers(ticketID int64) []*domain.Message {
	h.t.Helper()
	msgs, _, err := h.st.LastMessages(context.Background(), ticketID, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []*domain.Message
	for _, m := range msgs {
		if m.AuthorType == domain.AuthorBot && m.Kind == domain.KindMessage {
			out = append(out, m)
		}
	}
	return out
}

// last returns the bot's latest message of kind on the ticket.
func (h *harness) last(ticketID int64, kind domain.MessageKind) (*domain.Message, botMeta) {
	h.t.Helper()
	msgs, _, err := h.st.LastMessages(context.Background(), ticketID, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := msgs[i]; m.AuthorType == domain.AuthorBot && m.Kind == kind {
			return m, metaOf(m)
		}
	}
	return nil, botMeta{}
}

func (h *harness) ids(replies []QuickReply) string {
	var out []string
	for _, r := range replies {
		id := r.ID
		if n, ok := strings.CutPrefix(id, "article:"); ok {
			var aid int64
			fmt.Sscan(n, &aid)
			id = "article:" + h.kb.Key(aid)
		}
		out = append(out, id)
	}
	return strings.Join(out, " ")
}

type step struct {
	say      string
	reply    []string // the bot's answer contains these
	replies  string   // its quick replies start with these ids
	botState string
	status   domain.TicketStatus
	note     []string // the handover note contains these
	silent   bool     // the bot does not answer
}

func TestConversation(t *testing.T) {
	const buttons = `{"bot":{"enabled":true,"hours":"always","calendar_id":CAL}}`
	const callbacks = `{"bot":{"enabled":true,"hours":"always","calendar_id":CAL},"callback_channel_id":VOICE}`
	cases := []struct {
		name, kind, settings string
		waits                Waits
		steps                []step
	}{
		{name: "an article helps", kind: "kiosk", settings: buttons, steps: []step{
			{say: "How can I send back my shoes?", reply: []string{"automated assistant", "These articles"}, replies: "article:en-return", botState: domain.BotActive},
			{say: "@article:en-return", reply: []string{"You can return any item within 30 days", "return label", "https://help.example/help/en/articles/", "Did this help?"},
				replies: "yes no person"},
			{say: "@yes", reply: []string{"Glad that helped"}, replies: "person", botState: domain.BotResolved, status: domain.StatusSolved},
		}},
		{name: "twice no help goes to a person with the expected wait", kind: "kiosk", settings: buttons, waits: fixedWait{4 * time.Minute, true}, steps: []step{
			{say: "ik ben mijn wachtwoord vergeten", reply: []string{"automatische assistent"}, replies: "article:nl-password"},
			{say: "@article:nl-password", reply: []string{"Heeft dit geholpen?"}, replies: "yes no person"},
			{say: "@no", reply: []string{"Jammer"}},
			{say: "@browse", reply: []string{"Kies een onderwerp"}, replies: "category:"},
			{say: "@category:account", reply: []string{"Je account"}, replies: "article:nl-password browse person"},
			{say: "@article:nl-password", reply: []string{"Heeft dit geholpen?"}},
			{say: "@no", reply: []string{"Ik geef je vraag", "ongeveer 4 minuten"}, botState: domain.BotHandedOver, status: domain.StatusOpen,
				note: []string{"did not help (2×)", "wachtwoord vergeten", "Read: Wachtwoord vergeten", "Language: nl"}},
			{say: "hallo?", silent: true},
		}},
		{name: "asking for a person when the team is closed", kind: "kiosk", settings: buttons, waits: fixedWait{0, false}, steps: []step{
			{say: "Ich möchte mit einem Mitarbeiter sprechen", reply: []string{"Unser Team ist am Montag um 09:00 wieder da"},
				botState: domain.BotHandedOver, status: domain.StatusOpen, note: []string{"asked for a person", "Language: de"}},
		}},
		{name: "no good answer goes to a person", kind: "kiosk", settings: buttons, steps: []step{
			{say: "xylophone quantum entanglement", reply: []string{"passing your question"}, botState: domain.BotHandedOver,
				note: []string{"no good answer"}},
		}},
		{name: "numbered choices without buttons", kind: "api", settings: buttons, steps: []step{
			{say: "where is my parcel", reply: []string{"1. Where is my order?", "Reply with a number."}, replies: "article:en-tracking"},
			{say: "1", reply: []string{"track and trace", "Did this help?", "1. Yes, thanks", "3. Talk to a person"}},
			{say: "3", botState: domain.BotHandedOver},
		}},
		{name: "a greeting gets asked for the question", kind: "kiosk", settings: buttons, steps: []step{
			{say: "Hello!", reply: []string{"automated assistant", "What is your question?"}, replies: "browse person", botState: domain.BotActive},
			{say: "where is my parcel", reply: []string{"These articles"}, replies: "article:en-tracking"},
		}},
		{name: "a second message without a question goes to a person", kind: "kiosk", settings: buttons, steps: []step{
			{say: "hallo", reply: []string{"Wat is je vraag?"}, replies: "browse person"},
			{say: "hallo??", reply: []string{"Ik geef je vraag"}, botState: domain.BotHandedOver, note: []string{"no good answer", "hallo"}},
		}},
		{name: "a handover offers a callback, which takes a number and a time", kind: "kiosk", settings: callbacks, steps: []step{
			{say: "I want to talk to a person", reply: []string{"passing your question"}, replies: "callback", botState: domain.BotHandedOver},
			{say: "@callback", reply: []string{"What number shall we call?"}, replies: "", botState: domain.BotHandedOver},
			{say: "06 1234 5678", reply: []string{"When suits you best?"}, replies: "callback:asap callback:morning callback:afternoon"},
			{say: "@callback:morning", reply: []string{"We will call you on +31612345678. Preferred time: Tomorrow morning."}, botState: domain.BotHandedOver,
				status: domain.StatusOpen, note: []string{"asked to be called back on +31612345678; preferred time: Tomorrow morning"}},
			{say: "thanks!", silent: true},
		}},
		{name: "a callback without a number asks again", kind: "api", settings: callbacks, steps: []step{
			{say: "xylophone quantum entanglement", reply: []string{"passing your question", "1. Call me back"}, replies: "callback"},
			{say: "1", reply: []string{"What number shall we call?"}},
			{say: "call me maybe", reply: []string{"doesn't look like a phone number", "1. Call me back"}, replies: "callback"},
			{say: "1", reply: []string{"What number shall we call?"}},
			{say: "+31 20 123 4567", reply: []string{"1. As soon as possible", "3. Tomorrow afternoon"}},
			{say: "1", reply: []string{"We will call you on +31201234567. Preferred time: As soon as possible."}},
		}},
		{name: "a handover without a callback channel offers none", kind: "kiosk", settings: buttons, steps: []step{
			{say: "I want to talk to a person", reply: []string{"passing your question"}, replies: "", botState: domain.BotHandedOver},
			{say: "Call me back", silent: true},
		}},
		{name: "the bot stays out when switched off", kind: "kiosk", settings: `{"bot":{"enabled":false}}`, steps: []step{
			{say: "How can I send back my shoes?", silent: true},
		}},
	}
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		for _, c := range cases {
			t.Run(string(dialect)+"/"+c.name, func(t *testing.T) {
				h := newHarness(t, storetest.Open(t, dialect), c.kind, c.settings, c.waits)
				var seen int64
				for _, s := range c.steps {
					tk := h.say(s.say)
					m, meta := h.last(tk.ID, domain.KindMessage)
					if s.silent {
						if m != nil && m.ID > seen {
							t.Fatalf("%q: the bot answered %q", s.say, m.Text)
						}
						continue
					}
					if m == nil || m.ID <= seen {
						t.Fatalf("%q: no bot answer", s.say)
					}
					seen = m.ID
					for _, want := range s.reply {
						if !strings.Contains(m.Text, want) {
							t.Errorf("%q: answer %q lacks %q", s.say, m.Text, want)
						}
					}
					if got := h.ids(meta.QuickReplies); !strings.HasPrefix(got, s.replies) {
						t.Errorf("%q: quick replies %q, want them to start with %q", s.say, got, s.replies)
					}
					// Once handed over, a person is on the way; until then one is always offered.
					if tk.BotState == domain.BotActive && len(meta.QuickReplies) > 0 && meta.QuickReplies[len(meta.QuickReplies)-1].ID != replyPerson {
						t.Errorf("%q: the last choice is %q, not a person", s.say, meta.QuickReplies[len(meta.QuickReplies)-1].ID)
					}
					if s.botState != "" && tk.BotState != s.botState {
						t.Errorf("%q: bot_state %q, want %q", s.say, tk.BotState, s.botState)
					}
					if s.status != "" && tk.Status != s.status {
						t.Errorf("%q: status %q, want %q", s.say, tk.Status, s.status)
					}
					if len(s.note) > 0 {
						note, _ := h.last(tk.ID, domain.KindNote)
						if note == nil {
							t.Fatalf("%q: no handover note", s.say)
						}
						if strings.Contains(note.Text, "\n") {
							t.Errorf("note is not one line: %q", note.Text)
						}
						for _, want := range s.note {
							if !strings.Contains(note.Text, want) {
								t.Errorf("note %q lacks %q", note.Text, want)
							}
						}
					}
				}
			})
		}
	}
}

func TestActive_FollowsChannelSettingsAndBusinessHours(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	cal := &store.Calendar{Name: "Office", Config: sla.CalendarConfig{TimeZone: "UTC", Hours: map[string][]sla.Range{"sat": {{Start: "09:00", End: "12:00"}}}}}
	if err := st.SaveCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	policyCal := &store.Calendar{Name: "Webchat hours", Config: sla.CalendarConfig{TimeZone: "UTC", Hours: map[string][]sla.Range{"mon": {{Start: "09:00", End: "17:00"}}}}}
	if err := st.SaveCalendar(ctx, policyCal); err != nil {
		t.Fatal(err)
	}
	if err := st.SavePolicy(ctx, &sla.Policy{Name: "chat", Enabled: true, Conditions: sla.Conditions{ChannelKinds: []string{"webchat"}},
		Targets: map[string]sla.Targets{"normal": {FirstResponse: 5}}, CalendarID: policyCal.ID}); err != nil {
		t.Fatal(err)
	}
	b := New(Config{Store: st})
	open, closed := saturday.UnixMilli(), saturday.Add(5*time.Hour).UnixMilli()
	cases := []struct {
		name, kind, settings string
		at                   int64
		want                 bool
	}{
		{"no settings", "webchat", `{}`, open, false},
		{"disabled", "webchat", `{"bot":{"enabled":false,"hours":"always"}}`, open, false},
		{"always", "api", `{"bot":{"enabled":true}}`, open, true},
		{"outside hours while open", "api", fmt.Sprintf(`{"bot":{"enabled":true,"hours":"outside_business_hours","calendar_id":%d}}`, cal.ID), open, false},
		{"outside hours while closed", "api", fmt.Sprintf(`{"bot":{"enabled":true,"hours":"outside_business_hours","calendar_id":%d}}`, cal.ID), closed, true},
		{"the SLA policy's calendar", "webchat", `{"bot":{"enabled":true,"hours":"outside_business_hours"}}`, open, true},
		{"no calendar means always business hours", "api", `{"bot":{"enabled":true,"hours":"outside_business_hours"}}`, closed, false},
		{"unknown hours", "api", `{"bot":{"enabled":true,"hours":"sometimes"}}`, open, false},
	}
	for _, c := range cases {
		ch := &domain.Channel{ID: 1, Kind: c.kind, Settings: json.RawMessage(c.settings)}
		if got := b.Active(ch, c.at); got != c.want {
			t.Errorf("%s: Active = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPublish_QueuesCustomerMessagesAndCloseDrainsThem(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	h := newHarness(t, st, "kiosk", `{"bot":{"enabled":true}}`, nil)
	r, err := h.desk.Receive(context.Background(), &channel.Inbound{ChannelID: h.ch.ID, ExternalID: "q1",
		From: domain.Identity{Kind: "email", Value: "an@example.nl"}, Text: "where is my parcel"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { h.bot.Run(context.Background(), Env{Desk: h.desk}); close(done) }()
	h.bot.Publish(
		domain.Event{Type: domain.EventTicketCreated, TicketID: r.Ticket.ID},
		domain.Event{Type: domain.EventMessageCreated, TicketID: r.Ticket.ID, MessageID: r.Message.ID, Message: r.Message},
	)
	h.bot.Close()
	<-done
	if m, meta := h.last(r.Ticket.ID, domain.KindMessage); m == nil || !strings.HasPrefix(h.ids(meta.QuickReplies), "article:en-tracking") {
		t.Fatalf("bot answer %+v", m)
	}
}

func TestFormatWhen(t *testing.T) {
	now := time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC) // Saturday
	cases := []struct {
		lang string
		at   time.Time
		want string
	}{
		{"en", now.Add(2 * time.Hour), "today at 12:00"},
		{"nl", now.Add(23 * time.Hour), "morgen om 09:00"},
		{"de", time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC), "am Montag um 09:00"},
		{"en", time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), "on 2026-04-01 at 09:00"},
	}
	for _, c := range cases {
		if got := formatWhen(c.lang, c.at, now); got != c.want {
			t.Errorf("formatWhen(%s, %v) = %q, want %q", c.lang, c.at, got, c.want)
		}
	}
}

func TestHandle_AnswersMessagesInQuickSuccessionOnce(t *testing.T) {
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			h := newHarness(t, storetest.Open(t, dialect), "kiosk", `{"bot":{"enabled":true}}`, nil)
			first := h.receive("an@example.nl", "Hi there")
			second := h.receive("an@example.nl", "where is my parcel?")
			if first.Ticket.ID != second.Ticket.ID {
				t.Fatalf("two tickets %d and %d", first.Ticket.ID, second.Ticket.ID)
			}
			env := Env{Desk: h.desk}
			for _, m := range []*domain.Message{first.Message, second.Message, first.Message} {
				if err := h.bot.Handle(context.Background(), env, m); err != nil {
					t.Fatal(err)
				}
			}
			answers := h.answers(first.Ticket.ID)
			if len(answers) != 1 {
				t.Fatalf("%d answers, want one for both messages", len(answers))
			}
			if meta := metaOf(answers[0]); !strings.HasPrefix(h.ids(meta.QuickReplies), "article:en-tracking") {
				t.Errorf("answer %q offers %q, want the tracking article", answers[0].Text, h.ids(meta.QuickReplies))
			}
		})
	}
}

func TestRun_AnswersCustomersLeftUnansweredBeforeARestart(t *testing.T) {
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			h := newHarness(t, storetest.Open(t, dialect), "kiosk", `{"bot":{"enabled":true}}`, nil)
			ctx := context.Background()
			// Received, but the node stopped before the bot answered.
			lost := h.receive("lost@example.nl", "where is my parcel")
			// Answered before the stop.
			answered := h.say("How can I send back my shoes?").ID
			// Taken over by the team, so no longer the bot's.
			taken := h.receive("taken@example.nl", "I need my invoice")
			handed := domain.BotHandedOver
			if _, err := h.desk.UpdateTicket(ctx, taken.Ticket.ID, 0, desk.TicketChange{BotState: &handed}); err != nil {
				t.Fatal(err)
			}
			// The restarted bot's clock is past the sweep's wait.
			h.bot.now = func() time.Time { return time.UnixMilli(store.Now()).Add(sweepAfter) }
			done := make(chan struct{})
			go func() { h.bot.Run(ctx, Env{Desk: h.desk}); close(done) }()
			h.bot.Close()
			<-done
			cases := []struct {
				name   string
				ticket int64
				want   int
			}{
				{"left unanswered", lost.Ticket.ID, 1},
				{"answered before", answered, 1},
				{"handed over", taken.Ticket.ID, 0},
			}
			for _, c := range cases {
				if got := len(h.answers(c.ticket)); got != c.want {
					t.Errorf("%s: %d bot answers, want %d", c.name, got, c.want)
				}
			}
			if m, meta := h.last(lost.Ticket.ID, domain.KindMessage); m == nil || !strings.HasPrefix(h.ids(meta.QuickReplies), "article:en-tracking") {
				t.Errorf("recovered answer %+v", m)
			}
		})
	}
}
