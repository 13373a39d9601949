package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// surveyAdapter is a channel kind of these tests only: "tapper" has
// buttons and a day's send window like WhatsApp, "letter" has neither,
// like e-mail or SMS.
type surveyAdapter struct {
	kind string
	caps channel.Capabilities
}

func (a *surveyAdapter) Kind() string                                    { return a.kind }
func (*surveyAdapter) Secrets() []string                                 { return nil }
func (*surveyAdapter) Validate(json.RawMessage, map[string]string) error { return nil }
func (a *surveyAdapter) Capabilities() channel.Capabilities              { return a.caps }
func (*surveyAdapter) Send(context.Context, *channel.Outbound) (channel.Sent, error) {
	return channel.Sent{}, nil
}

var (
	tapper = &surveyAdapter{kind: "tapper", caps: channel.Capabilities{Buttons: true, SendWindowSeconds: 24 * 3600}}
	letter = &surveyAdapter{kind: "letter"}
)

const baseURL = "https://help.example.com"

type surveyFixture struct {
	*fixture
	clk   *clock
	blobs blob.Store
}

// newSurveyFixture makes a channel of kind with survey settings and a
// desk on a test clock.
func newSurveyFixture(t *testing.T, st *store.Store, kind, surveySettings string) *surveyFixture {
	t.Helper()
	f := newFixture(t, st, "", nil)
	f.desk.Close()
	f.ch = &domain.Channel{Kind: kind, Name: kind, TeamID: f.team.ID, Enabled: true,
		Settings: json.RawMessage(`{"survey":` + surveySettings + `}`)}
	if err := st.CreateChannel(context.Background(), f.ch, fmt.Sprintf("hash-%s-%d", kind, time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
	sf := &surveyFixture{fixture: f, clk: &clock{}, blobs: f.blobs(t)}
	sf.clk.ms.Store(monday9.UnixMilli())
	sf.restart(t)
	return sf
}

// restart replaces the desk by a new one, as a restarted server has.
func (f *surveyFixture) restart(t *testing.T) {
	f.desk.Close()
	f.desk = desk.New(desk.Config{Store: f.st, Blobs: f.blobs, Channels: channel.NewRegistry(tapper, letter), Events: f.events,
		Region: "NL", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: f.clk.now,
		SurveyKey: []byte("0123456789abcdef0123456789abcdef"), BaseURL: baseURL})
	t.Cleanup(f.desk.Close)
}

func (f *surveyFixture) from(t *testing.T) domain.Identity {
	if f.ch.Kind == letter.kind {
		return email(t, "jan@example.nl")
	}
	return phone(t, "+31612345678")
}

// solvedTicket receives a customer message and solves its ticket.
func (f *surveyFixture) solvedTicket(t *testing.T, text string, tags ...string) *domain.Ticket {
	t.Helper()
	r := f.receive(t, channel.Inbound{From: f.from(t), Text: text, Standalone: true})
	solved := domain.StatusSolved
	ch := desk.TicketChange{Status: &solved}
	if len(tags) > 0 {
		ch.Tags = &tags
	}
	tk, err := f.desk.UpdateTicket(context.Background(), r.Ticket.ID, 0, ch)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (f *surveyFixture) surveys(t *testing.T, ticketID int64) []*domain.Survey {
	t.Helper()
	list, err := f.st.TicketSurveys(context.Background(), ticketID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func (f *surveyFixture) sweep(t *testing.T) int {
	t.Helper()
	n, err := f.desk.SendDueSurveys(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *surveyFixture) lastMessage(t *testing.T, ticketID int64) *domain.Message {
	t.Helper()
	msgs, err := f.st.Messages(context.Background(), ticketID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Kind == domain.KindMessage {
			return msgs[i]
		}
	}
	t.Fatal("no message")
	return nil
}

func (f *surveyFixture) ticket(t *testing.T, id int64) *domain.Ticket {
	t.Helper()
	tk, err := f.st.Ticket(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestSurveys_ButtonsChannelGetsFiveButtonsAndATapRecordsTheScoreWithoutReopening(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newSurveyFixture(t, st, tapper.kind, `{"csat": true}`)
		tk := f.solvedTicket(t, "My parcel is late")
		if got := f.surveys(t, tk.ID); len(got) != 1 || got[0].Kind != domain.SurveyCSAT || got[0].DueAt != f.clk.now()+3600_000 {
			t.Fatalf("after the solve the surveys are %+v, want one CSAT due in an hour", got)
		}
		if n := f.sweep(t); n != 0 {
			t.Fatalf("the sweep sent %d surveys before they were due", n)
		}
		f.clk.advance(time.Hour)
		f.restart(t) // the due survey is in the table, not in memory
		if n := f.sweep(t); n != 1 {
			t.Fatalf("the sweep after a restart handled %d surveys, want 1", n)
		}
		m := f.lastMessage(t, tk.ID)
		var ids []string
		for _, q := range channel.QuickReplies(m) {
			ids = append(ids, q.ID)
		}
		if m.AuthorType != domain.AuthorSystem || m.DeliveryStatus != domain.DeliveryQueued ||
			!slices.Equal(ids, []string{"csat:1", "csat:2", "csat:3", "csat:4", "csat:5"}) {
			t.Fatalf("survey message: author %s, status %s, buttons %v", m.AuthorType, m.DeliveryStatus, ids)
		}
		if n := f.sweep(t); n != 0 {
			t.Fatalf("a second sweep handled %d surveys, want none", n)
		}

		f.clk.advance(time.Minute)
		f.receive(t, channel.Inbound{From: f.from(t), Text: "★★", Meta: channel.QuickReplyMeta("csat:2")})
		got := f.ticket(t, tk.ID)
		if got.Status != domain.StatusSolved || got.CSATScore != 2 {
			t.Fatalf("after the tap the ticket is %s with score %d, want solved with 2", got.Status, got.CSATScore)
		}
		var low *domain.Survey
		for _, e := range f.events.events {
			if e.Type == domain.EventSurveyAnswered {
				low = e.Survey
			}
		}
		if low == nil || low.Score != 2 || low.TicketID != tk.ID {
			t.Fatalf("a score of 2 published %+v, want survey.answered with the score", low)
		}
		if thanks := f.lastMessage(t, tk.ID); thanks.Direction != domain.DirectionOut || thanks.AuthorType != domain.AuthorSystem {
			t.Fatalf("after the tap the last message is %+v, want the system's thanks", thanks)
		}

		f.clk.advance(2 * time.Minute)
		f.receive(t, channel.Inbound{From: f.from(t), Text: "It took a week."})
		if got := f.ticket(t, tk.ID); got.Status != domain.StatusSolved || got.CSATComment != "It took a week." {
			t.Fatalf("the follow-up left the ticket %s with comment %q", got.Status, got.CSATComment)
		}

		f.clk.advance(time.Hour)
		f.receive(t, channel.Inbound{From: f.from(t), Text: "And now another question"})
		if got := f.ticket(t, tk.ID); got.Status != domain.StatusOpen {
			t.Fatalf("a later message left the ticket %s, want it reopened", got.Status)
		}
	})
}

var linkToken = regexp.MustCompile(regexp.QuoteMeta(baseURL) + `/survey/([A-Za-z0-9_-]+)`)

func TestSurveys_LinkChannelGetsALinkAnswerableOnceAndChangeableForSevenDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newSurveyFixture(t, st, letter.kind, `{"csat": true, "delay_seconds": 0}`)
		tk := f.solvedTicket(t, "Wrong size")
		if n := f.sweep(t); n != 1 {
			t.Fatalf("the sweep handled %d surveys, want 1 at once", n)
		}
		m := f.lastMessage(t, tk.ID)
		match := linkToken.FindStringSubmatch(m.Text)
		if match == nil || len(channel.QuickReplies(m)) != 0 {
			t.Fatalf("survey message %q has no link (or has buttons)", m.Text)
		}
		v, err := f.desk.SurveyByToken(ctx, match[1])
		if err != nil || v.TicketID != tk.ID {
			t.Fatalf("SurveyByToken = %+v, %v", v, err)
		}
		forged := []byte(match[1])
		forged[len(forged)-1] ^= 1
		for _, tok := range []string{string(forged), "nonsense", ""} {
			if _, err := f.desk.SurveyByToken(ctx, tok); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("token %q: err %v, want not found", tok, err)
			}
		}
		score := func(n int) error {
			_, err := f.desk.AnswerSurvey(ctx, v.ID, desk.SurveyAnswer{Score: &n})
			return err
		}
		for _, tc := range []struct {
			after time.Duration
			score int
			want  error
		}{
			{0, 6, &domain.Error{}},
			{time.Minute, 4, nil},
			{6 * 24 * time.Hour, 5, nil},
			{24 * time.Hour, 1, desk.ErrSurveyExpired},
		} {
			f.clk.advance(tc.after)
			err := score(tc.score)
			var invalid *domain.Error
			switch {
			case tc.want == nil && err != nil, tc.want == desk.ErrSurveyExpired && !errors.Is(err, desk.ErrSurveyExpired),
				tc.want != nil && tc.want != desk.ErrSurveyExpired && !errors.As(err, &invalid):
				t.Errorf("score %d after %s: err %v, want %v", tc.score, tc.after, err, tc.want)
			}
		}
		if got := f.ticket(t, tk.ID); got.CSATScore != 5 || got.Status != domain.StatusSolved {
			t.Fatalf("ticket score %d status %s, want the changed score 5", got.CSATScore, got.Status)
		}
		if _, err := f.desk.SurveyByToken(ctx, match[1]); !errors.Is(err, desk.ErrSurveyExpired) {
			t.Fatalf("after 7 days the link gives %v, want expired", err)
		}
		// An answer on the page asks for no comment by message: the next
		// message is for the team.
		f.receive(t, channel.Inbound{From: f.from(t), Text: "Another question"})
		if got := f.ticket(t, tk.ID); got.Status != domain.StatusOpen {
			t.Fatalf("a message after a page answer left the ticket %s, want it reopened", got.Status)
		}
	})
}

func TestSurveys_SkippedAndNeverScheduled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newSurveyFixture(t, st, tapper.kind, `{"csat": true, "delay_seconds": 0}`)
		spam := f.solvedTicket(t, "cheap pills", desk.SpamTag)
		if got := f.surveys(t, spam.ID); len(got) != 0 {
			t.Fatalf("a spam ticket got surveys %+v", got)
		}

		tk := f.solvedTicket(t, "Where is it?")
		if err := st.SetOptOut(ctx, tk.ContactID, tapper.kind, true); err != nil {
			t.Fatal(err)
		}
		f.sweep(t)
		if got := f.surveys(t, tk.ID); got[0].Skipped != "opted_out" || got[0].SentAt != 0 {
			t.Fatalf("survey to an opted-out contact: %+v", got[0])
		}

		if err := st.SetOptOut(ctx, tk.ContactID, tapper.kind, false); err != nil {
			t.Fatal(err)
		}
		f.ch.Settings = json.RawMessage(`{"survey": {"csat": true, "delay_seconds": 90000}}`)
		if err := st.UpdateChannel(ctx, f.ch); err != nil {
			t.Fatal(err)
		}
		late := f.solvedTicket(t, "Thanks")
		f.clk.advance(25 * time.Hour)
		f.sweep(t)
		if got := f.surveys(t, late.ID); got[0].Skipped != "outside_window" {
			t.Fatalf("survey after the send window: %+v", got[0])
		}

		f.ch.Settings = json.RawMessage(`{"survey": {"csat": true, "delay_seconds": 0}}`)
		if err := st.UpdateChannel(ctx, f.ch); err != nil {
			t.Fatal(err)
		}
		asked := f.solvedTicket(t, "Hello again")
		f.sweep(t)
		again := f.solvedTicket(t, "And once more")
		f.sweep(t)
		if a, b := f.surveys(t, asked.ID)[0], f.surveys(t, again.ID)[0]; a.SentAt == 0 || b.Skipped != "open_survey" {
			t.Fatalf("with one survey unanswered: first %+v, second %+v", a, b)
		}
	})
}

func TestSurveys_NPSAtMostOncePerIntervalAndAlwaysByLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newSurveyFixture(t, st, tapper.kind, `{"csat": true, "nps": true, "nps_interval_days": 30, "delay_seconds": 0}`)
		kinds := func(tk *domain.Ticket) []domain.SurveyKind {
			var out []domain.SurveyKind
			for _, v := range f.surveys(t, tk.ID) {
				out = append(out, v.Kind)
			}
			return out
		}
		first := f.solvedTicket(t, "one")
		if got := kinds(first); !slices.Equal(got, []domain.SurveyKind{domain.SurveyNPS}) {
			t.Fatalf("first solve: %v, want an NPS", got)
		}
		f.sweep(t)
		if m := f.lastMessage(t, first.ID); !linkToken.MatchString(m.Text) || len(channel.QuickReplies(m)) != 0 {
			t.Fatalf("NPS message %q should be a link without buttons", m.Text)
		}
		n := 10
		if _, err := f.desk.AnswerSurvey(context.Background(), f.surveys(t, first.ID)[0].ID, desk.SurveyAnswer{Score: &n}); err != nil {
			t.Fatal(err)
		}
		f.clk.advance(10 * 24 * time.Hour)
		second := f.solvedTicket(t, "two")
		if got := kinds(second); !slices.Equal(got, []domain.SurveyKind{domain.SurveyCSAT}) {
			t.Fatalf("10 days later: %v, want a CSAT only", got)
		}
		f.clk.advance(21 * 24 * time.Hour)
		third := f.solvedTicket(t, "three")
		if got := kinds(third); !slices.Equal(got, []domain.SurveyKind{domain.SurveyNPS}) {
			t.Fatalf("31 days after the first: %v, want an NPS again", got)
		}
	})
}

func TestSurveys_WidgetRatingIsListedWithTheAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newSurveyFixture(t, st, letter.kind, `{}`)
		tk := f.solvedTicket(t, "Hi")
		if _, err := f.desk.RateTicket(ctx, tk.ID, 1, "Too slow"); err != nil {
			t.Fatal(err)
		}
		list, err := st.AnsweredSurveys(ctx, store.SurveyFilter{Kind: domain.SurveyCSAT, ChannelID: f.ch.ID})
		if err != nil || len(list) != 1 || list[0].Score != 1 || list[0].Comment != "Too slow" || list[0].TicketID != tk.ID {
			t.Fatalf("answers after a widget rating: %+v, %v", list, err)
		}
		if !slices.Contains(f.events.types(), domain.EventSurveyAnswered) {
			t.Fatalf("a rating of 1 published %v, want survey.answered", f.events.types())
		}
		if n := f.sweep(t); n != 0 {
			t.Fatalf("the sweep handled %d surveys after a rating, want none", n)
		}
	})
}
