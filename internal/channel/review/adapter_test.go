package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// memSite is a review site in memory: reviews listed newest first by its
// order, perPage a page, with offset page tokens like Trustpilot's.
type memSite struct {
	mu      sync.Mutex
	order   Order
	perPage int
	reviews []Review
	replies map[string][]string
	fail    error // the next Fetch or Reply fails with it
}

func (s *memSite) Kind() string                  { return "mem_reviews" }
func (s *memSite) Identity() domain.IdentityKind { return domain.IdentityTrustpilotConsumer }
func (s *memSite) Secrets() []string             { return []string{"key"} }
func (s *memSite) Traits() Traits                { return Traits{Name: "Mem", Order: s.order, MaxLength: 20} }

func (s *memSite) Validate(settings json.RawMessage, _ map[string]string) error {
	var set Settings
	if err := channel.DecodeSettings(settings, &set); err != nil {
		return domain.Invalid("invalid_settings", err.Error())
	}
	return set.CheckSettings()
}

func (s *memSite) add(rs ...Review) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		s.reviews = slices.DeleteFunc(s.reviews, func(x Review) bool { return x.ID == r.ID })
		s.reviews = append(s.reviews, r)
	}
	slices.SortStableFunc(s.reviews, func(x, y Review) int { return key(s.order, &y).Compare(key(s.order, &x)) })
}

func (s *memSite) Fetch(_ context.Context, _ *domain.Channel, page string) ([]Review, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail; err != nil {
		s.fail = nil
		return nil, "", err
	}
	from := 0
	if page != "" {
		fmt.Sscan(page, &from)
	}
	to := min(from+s.perPage, len(s.reviews))
	if from >= to {
		return nil, "", nil
	}
	next := ""
	if to < len(s.reviews) {
		next = fmt.Sprint(to)
	}
	return slices.Clone(s.reviews[from:to]), next, nil
}

func (s *memSite) Reply(_ context.Context, _ *domain.Channel, id, text string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail; err != nil {
		s.fail = nil
		return "", err
	}
	if s.replies == nil {
		s.replies = map[string][]string{}
	}
	s.replies[id] = append(s.replies[id], text)
	return "", nil
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func rev(id string, created time.Duration, rating int) Review {
	return Review{ID: id, AuthorID: "c-" + id, AuthorName: "Reviewer " + id, Rating: rating, Text: "text of " + id,
		Created: t0.Add(created), Updated: t0.Add(created), URL: "https://reviews.example/" + id}
}

// newMem returns a site of perPage reviews a page, and its adapter,
// reading one page a poll.
func newMem(order Order, perPage int) (*memSite, *Adapter, *domain.Channel) {
	s := &memSite{order: order, perPage: perPage}
	a := New(s, Config{Now: func() time.Time { return t0.Add(24 * time.Hour) }, PagesPerPoll: 1})
	return s, a, &domain.Channel{ID: 7, Kind: s.Kind(), Enabled: true}
}

// poll runs one poll and parses its payload, returning the review ids
// imported, the ids edited and the next cursor.
func poll(t *testing.T, a *Adapter, ch *domain.Channel, cur string) (msgs, edits []string, next string) {
	t.Helper()
	body, next, err := a.Poll(context.Background(), ch, cur)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	if body == nil {
		return nil, nil, next
	}
	b, err := a.Parse(ch, ContentType, body, "")
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	for _, m := range b.Messages {
		msgs = append(msgs, m.ExternalID)
	}
	for _, c := range b.Changes {
		edits = append(edits, c.ExternalID)
	}
	return msgs, edits, next
}

func TestPoll_SweepsABacklogAPagePerPollWithoutRepeatsOrGaps(t *testing.T) {
	s, a, ch := newMem(ByCreated, 2)
	// Five reviews in the last 30 days and one older, which the first
	// sweep must not import.
	s.add(rev("old", -40*24*time.Hour, 1), rev("a", 0, 5), rev("b", time.Minute, 4), rev("c", 2*time.Minute, 3),
		rev("d", 3*time.Minute, 2), rev("e", 4*time.Minute, 1))
	var got []string
	cur := ""
	for i := range 3 {
		msgs, _, next := poll(t, a, ch, cur)
		if len(msgs) == 0 {
			t.Fatalf("poll %d imported nothing", i+1)
		}
		got, cur = append(got, msgs...), next
	}
	// Each page's reviews come oldest first; pages go back in time.
	if want := []string{"d", "e", "b", "c", "a"}; !slices.Equal(got, want) {
		t.Fatalf("imported %v, want %v", got, want)
	}
	if msgs, _, next := poll(t, a, ch, cur); msgs != nil {
		t.Fatalf("a poll with nothing new imported %v", msgs)
	} else {
		cur = next
	}
	// Two new reviews, one at the very instant of the newest seen.
	s.add(rev("f", 4*time.Minute, 5), rev("g", 5*time.Minute, 5))
	// Page one holds g and e (seen), so the sweep reads on and finds f,
	// then stops at d, older than what it had seen.
	var got2 []string
	for range 3 {
		var msgs []string
		msgs, _, cur = poll(t, a, ch, cur)
		got2 = append(got2, msgs...)
	}
	if want := []string{"g", "f"}; !slices.Equal(got2, want) {
		t.Fatalf("after two new reviews imported %v, want %v", got2, want)
	}
}

func TestPoll_ReviewsArrivingDuringASweepAreFoundByTheNext(t *testing.T) {
	s, a, ch := newMem(ByCreated, 2)
	s.add(rev("a", 0, 5), rev("b", time.Minute, 4), rev("c", 2*time.Minute, 3), rev("d", 3*time.Minute, 2))
	seen := map[string]int{}
	note := func(ids []string) {
		for _, id := range ids {
			seen[id]++
		}
	}
	msgs, _, cur := poll(t, a, ch, "")
	note(msgs)
	// A new review shifts the pages under the sweep: "c" comes round again
	// on page two (a duplicate the core drops), nothing is missed.
	s.add(rev("x", 10*time.Minute, 1))
	for range 4 {
		msgs, _, cur = poll(t, a, ch, cur)
		note(msgs)
	}
	for _, id := range []string{"a", "b", "c", "d", "x"} {
		if seen[id] == 0 {
			t.Errorf("review %s was never imported (%v)", id, seen)
		}
	}
	if msgs, _, _ := poll(t, a, ch, cur); msgs != nil {
		t.Errorf("imported %v once the sweeps were done", msgs)
	}
}

func TestPoll_ASteadyInflowIsImportedAsItComes(t *testing.T) {
	s, _, ch := newMem(ByCreated, 2)
	a := New(s, Config{Now: func() time.Time { return t0.Add(24 * time.Hour) }})
	cur := ""
	for i := range 20 {
		// Three new reviews a poll, more than a page: the poll reads on.
		s.add(rev(fmt.Sprint("a", i), time.Duration(i)*time.Hour, 3), rev(fmt.Sprint("b", i), time.Duration(i)*time.Hour+time.Minute, 3),
			rev(fmt.Sprint("c", i), time.Duration(i)*time.Hour+2*time.Minute, 3))
		var msgs []string
		msgs, _, cur = poll(t, a, ch, cur)
		if want := []string{fmt.Sprint("a", i), fmt.Sprint("b", i), fmt.Sprint("c", i)}; !slices.Equal(msgs, want) {
			t.Fatalf("poll %d imported %v, want %v", i, msgs, want)
		}
	}
}

func TestPoll_AnEditedReviewComesBackAsAnEdit(t *testing.T) {
	s, a, ch := newMem(ByUpdated, 50)
	s.add(rev("a", 0, 2), rev("b", time.Minute, 4))
	_, _, cur := poll(t, a, ch, "")
	edited := rev("a", 0, 4)
	edited.Updated = t0.Add(time.Hour)
	edited.Text = "They called me back; sorted."
	s.add(edited)
	msgs, edits, cur := poll(t, a, ch, cur)
	if !slices.Equal(msgs, []string{"a"}) || !slices.Equal(edits, []string{"a"}) {
		t.Fatalf("after an edit: messages %v, edits %v; want a and its edit", msgs, edits)
	}
	if msgs, edits, _ := poll(t, a, ch, cur); msgs != nil || edits != nil {
		t.Fatalf("the edit came again: %v %v", msgs, edits)
	}
}

func TestPoll_FailuresKeepTheCursor(t *testing.T) {
	s, a, ch := newMem(ByCreated, 2)
	s.add(rev("a", 0, 5))
	_, _, cur := poll(t, a, ch, "")
	s.fail = channel.RetryAfter(errors.New("429"), time.Minute)
	_, next, err := a.Poll(context.Background(), ch, cur)
	if channel.RetryWait(err) != time.Minute || next != cur {
		t.Fatalf("a 429: err %v, cursor %q; want the wait and the same cursor", err, next)
	}
	// A cursor this adapter did not write starts again from the look-back.
	if msgs, _, _ := poll(t, a, ch, "not json"); !slices.Equal(msgs, []string{"a"}) {
		t.Fatalf("an unreadable cursor imported %v, want a again (dropped as a duplicate by the core)", msgs)
	}
}

func TestParse_ReviewsBecomePublicMessages(t *testing.T) {
	_, a, ch := newMem(ByUpdated, 50)
	anon := rev("anon", 0, 1)
	anon.Anonymous, anon.AuthorID, anon.AuthorName = true, "", ""
	edited := rev("edited", 0, 4)
	edited.Updated, edited.Title = t0.Add(time.Hour), "Better now"
	bare := rev("bare", 0, 5)
	bare.Text, bare.Language = "  ", "en-GB"
	replied := rev("replied", 0, 3)
	replied.Reply = &Reply{Text: "Thanks!", Updated: t0.Add(time.Minute)}
	nostars := rev("nostars", 0, 0)
	answered := rev("answered", 0, 2)
	answered.Updated = t0.Add(time.Hour)
	answered.Reply = &Reply{Text: "Sorry!", Updated: t0.Add(time.Hour)}
	for _, tc := range []struct {
		r       Review
		from    string
		subject string
		text    string
		lang    string
		edit    string // the edit's text; "" when none
		meta    string
	}{
		{r: rev("plain", 0, 2), from: "trustpilot_consumer:c-plain", subject: "★★☆☆☆", text: "text of plain"},
		{r: anon, from: "trustpilot_consumer:review:anon", subject: "★☆☆☆☆", text: "text of anon"},
		{r: edited, from: "trustpilot_consumer:c-edited", subject: "★★★★☆ Better now", text: "text of edited", edit: "★★★★☆ Better now\n\ntext of edited"},
		{r: bare, from: "trustpilot_consumer:c-bare", subject: "★★★★★", text: "★★★★★", lang: "en"},
		{r: replied, from: "trustpilot_consumer:c-replied", subject: "★★★☆☆", text: "text of replied", meta: `{"site_reply":{"at":1796126460000,"text":"Thanks!"}}`},
		{r: nostars, from: "trustpilot_consumer:c-nostars", subject: "Review", text: "text of nostars"},
		// Updated when it was answered, not edited.
		{r: answered, from: "trustpilot_consumer:c-answered", subject: "★★☆☆☆", text: "text of answered", meta: `{"site_reply":{"at":1796130000000,"text":"Sorry!"}}`},
	} {
		t.Run(tc.r.ID, func(t *testing.T) {
			body, _ := json.Marshal(payload{Reviews: []Review{tc.r}})
			b, err := a.Parse(ch, "application/json; charset=utf-8", body, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Messages) != 1 {
				t.Fatalf("%d messages", len(b.Messages))
			}
			m := b.Messages[0]
			if m.ExternalID != tc.r.ID || m.Thread != "review:"+tc.r.ID || m.From.String() != tc.from ||
				m.Subject != tc.subject || m.Text != tc.text || m.Language != tc.lang || !m.ProviderAt.Equal(tc.r.Created) {
				t.Errorf("message %+v", m)
			}
			if m.Public == nil || m.Public.Rating != tc.r.Rating || m.Public.URL != tc.r.URL || m.Public.AuthorURL != tc.r.AuthorURL {
				t.Errorf("public %+v", m.Public)
			}
			if string(m.Meta) != tc.meta {
				t.Errorf("meta %s, want %s", m.Meta, tc.meta)
			}
			switch {
			case tc.edit == "" && len(b.Changes) != 0:
				t.Errorf("changes %+v for an unedited review", b.Changes)
			case tc.edit != "" && (len(b.Changes) != 1 || b.Changes[0].Kind != channel.ChangeEdit || b.Changes[0].Text != tc.edit ||
				b.Changes[0].ExternalID != tc.r.ID || !b.Changes[0].At.Equal(tc.r.Updated)):
				t.Errorf("changes %+v, want an edit %q", b.Changes, tc.edit)
			}
		})
	}
}

func TestParse_RefusesWhatIsNotAReviewPayload(t *testing.T) {
	_, a, ch := newMem(ByUpdated, 50)
	for name, tc := range map[string]struct{ ct, body string }{
		"not json":   {"application/json", "<xml/>"},
		"form":       {"application/x-www-form-urlencoded", `{"reviews":[]}`},
		"no id":      {"application/json", `{"reviews":[{"rating":3,"created":"2026-12-01T12:00:00Z"}]}`},
		"six stars":  {"application/json", `{"reviews":[{"id":"x","rating":6,"created":"2026-12-01T12:00:00Z"}]}`},
		"no created": {"application/json", `{"reviews":[{"id":"x","rating":3}]}`},
	} {
		var de *domain.Error
		if _, err := a.Parse(ch, tc.ct, []byte(tc.body), ""); !errors.As(err, &de) {
			t.Errorf("%s: %v, want a *domain.Error", name, err)
		}
	}
}

func TestSend_OnlyPublicRepliesToAReview(t *testing.T) {
	s, a, ch := newMem(ByUpdated, 50)
	msg := func(text string) *domain.Message { return &domain.Message{ID: 42, Text: text} }
	sent, err := a.Send(context.Background(), &channel.Outbound{Channel: ch, Message: msg("Thank you!"), Public: true, ReplyTo: "r1"})
	if err != nil || sent.ExternalID != "reply:r1:42" || sent.Status != domain.DeliverySent {
		t.Fatalf("public reply: %+v %v", sent, err)
	}
	if !slices.Equal(s.replies["r1"], []string{"Thank you!"}) {
		t.Fatalf("site got %v", s.replies)
	}
	for name, out := range map[string]*channel.Outbound{
		"private":          {Channel: ch, Message: msg("hi")},
		"private reply":    {Channel: ch, Message: msg("hi"), PrivateReplyTo: "r1"},
		"no review":        {Channel: ch, Message: msg("hi"), Public: true},
		"empty":            {Channel: ch, Message: msg("  "), Public: true, ReplyTo: "r1"},
		"too long":         {Channel: ch, Message: msg(strings.Repeat("é", 21)), Public: true, ReplyTo: "r1"},
		"with attachments": {Channel: ch, Message: &domain.Message{ID: 1, Text: "see", Attachments: []domain.Attachment{{Filename: "a.pdf"}}}, Public: true, ReplyTo: "r1"},
	} {
		if _, err := a.Send(context.Background(), out); !channel.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent failure", name, err)
		}
	}
	if _, err := a.Send(context.Background(), &channel.Outbound{Channel: ch, Message: msg(strings.Repeat("é", 20)), Public: true, ReplyTo: "r2"}); err != nil {
		t.Errorf("a reply of exactly the longest length: %v", err)
	}
	s.fail = errors.New("503")
	if _, err := a.Send(context.Background(), &channel.Outbound{Channel: ch, Message: msg("again"), Public: true, ReplyTo: "r1"}); err == nil || channel.IsPermanent(err) {
		t.Errorf("a passing site failure: %v, want one to retry", err)
	}
}

func TestCapabilities_PublicWithoutPrivateRepliesOrModeration(t *testing.T) {
	_, a, _ := newMem(ByUpdated, 50)
	c := a.Capabilities()
	if !c.Public || c.PrivateReplies || len(c.Moderation) != 0 || c.MaxLength != 20 || c.Attachments ||
		!slices.Equal(c.Identities, []domain.IdentityKind{domain.IdentityTrustpilotConsumer}) {
		t.Errorf("capabilities %+v", c)
	}
}

func TestPollInterval_DefaultsToFiveMinutesAndIsAtLeastOne(t *testing.T) {
	_, a, _ := newMem(ByUpdated, 50)
	for settings, want := range map[string]time.Duration{
		``:                              5 * time.Minute,
		`{}`:                            5 * time.Minute,
		`{"poll_interval_seconds":120}`: 2 * time.Minute,
		`{"poll_interval_seconds":5}`:   time.Minute,
	} {
		if got := a.PollInterval(&domain.Channel{Settings: json.RawMessage(settings)}); got != want {
			t.Errorf("%s: %v, want %v", settings, got, want)
		}
	}
	if err := a.Validate(json.RawMessage(`{"poll_interval_seconds":30}`), nil); err == nil || !strings.Contains(err.Error(), "at least 60") {
		t.Errorf("30 seconds: %v, want refused", err)
	}
	if err := a.Validate(json.RawMessage(`{"poll_interval_seconds":60}`), nil); err != nil {
		t.Errorf("a minute: %v", err)
	}
}

func TestCheck_ReadsTheFirstPage(t *testing.T) {
	s, a, ch := newMem(ByUpdated, 50)
	s.add(rev("a", 0, 5))
	if got := a.Check(context.Background(), ch); len(got) != 1 || !got[0].OK || !strings.Contains(got[0].Detail, "2026-12-01T12:00:00Z") {
		t.Errorf("check %+v", got)
	}
	s.fail = channel.Permanent(errors.New("Mem sign-in: 401 invalid_client"))
	if got := a.Check(context.Background(), ch); len(got) != 1 || got[0].OK || !strings.Contains(got[0].Detail, "invalid_client") {
		t.Errorf("check with bad credentials %+v", got)
	}
}
