package google

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/review"
	"loket.dev/loket/internal/domain"
)

var now = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func TestParsePage_DocumentedReviews(t *testing.T) {
	body, err := os.ReadFile("testdata/reviews.json")
	if err != nil {
		t.Fatal(err)
	}
	got, next, err := parsePage(body, "https://maps.app.goo.gl/abc")
	if err != nil || next != "" || len(got) != 3 {
		t.Fatalf("%d reviews, next %q, err %v", len(got), next, err)
	}
	for i, tc := range []struct {
		id, name  string
		anonymous bool
		rating    int
		edited    bool
		reply     string
	}{
		{"AbFvOqnzUVZPzFv0R4PqrP8d", "Marieke de Vries", false, 2, true, ""},
		{"AbFvOqk2m", "A Google User", true, 5, false, ""},
		{"AbFvOqp77", "Tom B.", false, 4, false, "Thank you Tom, see you soon!"},
	} {
		r := got[i]
		if r.ID != tc.id || r.AuthorName != tc.name || r.Anonymous != tc.anonymous || r.Rating != tc.rating ||
			r.Updated.After(r.Created) != tc.edited || r.AuthorID != "" || r.URL != "https://maps.app.goo.gl/abc" {
			t.Errorf("review %d: %+v", i, r)
		}
		if (r.Reply == nil) != (tc.reply == "") || (r.Reply != nil && r.Reply.Text != tc.reply) {
			t.Errorf("review %d: reply %+v, want %q", i, r.Reply, tc.reply)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("review %d: %v", i, err)
		}
	}
}

func TestParsePage_StarRatings(t *testing.T) {
	for enum, want := range map[string]int{"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5, "STAR_RATING_UNSPECIFIED": 0, "SIX": 0, "": 0} {
		body := fmt.Sprintf(`{"reviews":[{"reviewId":"r","starRating":%q,"createTime":"2026-11-01T00:00:00Z","updateTime":"2026-11-01T00:00:00Z"}]}`, enum)
		got, _, err := parsePage([]byte(body), "")
		if err != nil || got[0].Rating != want {
			t.Errorf("%s: %+v %v, want %d stars", enum, got, err, want)
		}
	}
	if _, _, err := parsePage([]byte(`{"reviews":[{"reviewId":"r","createTime":"yesterday"}]}`), ""); err == nil {
		t.Error("a time that is not RFC 3339 was taken")
	}
}

func TestParse_AnonymousReviewerIsAContactOfTheirOwn(t *testing.T) {
	f := newFakeGoogle(t)
	a := New(f.config(clock))
	body, _ := os.ReadFile("testdata/reviews.json")
	reviews, _, _ := parsePage(body, "https://maps.app.goo.gl/abc")
	payload, _ := json.Marshal(map[string]any{"reviews": reviews})
	b, err := a.Parse(f.channel(), review.ContentType, payload, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 3 || len(b.Changes) != 1 || b.Changes[0].ExternalID != "AbFvOqnzUVZPzFv0R4PqrP8d" {
		t.Fatalf("%d messages, changes %+v", len(b.Messages), b.Changes)
	}
	anon := b.Messages[1]
	if anon.From != (domain.Identity{Kind: domain.IdentityGoogleReviewer, Value: "review:AbFvOqk2m"}) || anon.Subject != "★★★★★" || anon.Text != "★★★★★" {
		t.Errorf("anonymous review: %+v", anon)
	}
	if m := b.Messages[0]; m.Subject != "★★☆☆☆" || m.Public.Rating != 2 || m.Public.URL != "https://maps.app.goo.gl/abc" || m.Public.AuthorURL != "" || m.Thread != "review:AbFvOqnzUVZPzFv0R4PqrP8d" {
		t.Errorf("review: %+v %+v", m, m.Public)
	}
}

func TestPoll_PagesThroughTheLastThirtyDaysThenOnlyNewAndEditedReviews(t *testing.T) {
	f := newFakeGoogle(t)
	a := New(f.config(clock))
	ch := f.channel()
	// 60 reviews in the last thirty days, an hour apart, and one older.
	for i := range 60 {
		at := now.Add(-time.Duration(i+1) * time.Hour)
		f.add(gReview(fmt.Sprintf("r%02d", i), "FOUR", at, at))
	}
	old := now.Add(-31 * 24 * time.Hour)
	f.add(gReview("ancient", "ONE", old, old))

	// One page a poll, to see a backlog spread over polls.
	a = review.New(NewSite(f.config(clock)), review.Config{Now: clock, PagesPerPoll: 1})
	imported := map[string]int{}
	edits := map[string]int{}
	run := func(cur string) string {
		t.Helper()
		body, next, err := a.Poll(context.Background(), ch, cur)
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		if body != nil {
			b, err := a.Parse(ch, review.ContentType, body, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range b.Messages {
				imported[m.ExternalID]++
			}
			for _, c := range b.Changes {
				edits[c.ExternalID]++
			}
		}
		return next
	}
	cur := run("")
	if len(imported) != 50 {
		t.Fatalf("the first poll imported %d, want one page of 50", len(imported))
	}
	// Google is busy: the poll waits as told and keeps its cursor.
	f.mu.Lock()
	f.throttle = 1
	f.mu.Unlock()
	if _, next, err := a.Poll(context.Background(), ch, cur); channel.RetryWait(err) != 17*time.Second || next != cur {
		t.Fatalf("a 429: %v (wait %v), cursor kept %v", err, channel.RetryWait(err), next == cur)
	}
	cur = run(cur)
	if len(imported) != 60 || imported["ancient"] != 0 {
		t.Fatalf("after the second page %d imported (ancient %d), want 60 without the old one", len(imported), imported["ancient"])
	}
	for id, n := range imported {
		if n != 1 {
			t.Errorf("%s imported %d times", id, n)
		}
	}
	cur = run(cur)
	// A new review and an edit of an old one: both come, nothing else.
	f.add(gReview("fresh", "FIVE", now, now))
	edited := gReview("r30", "TWO", now.Add(-31*time.Hour), now.Add(time.Minute))
	f.add(edited)
	cur = run(cur)
	if imported["fresh"] != 1 || imported["r30"] != 2 || edits["r30"] != 1 || len(edits) != 1 {
		t.Fatalf("after a new review and an edit: fresh %d, r30 %d, edits %v", imported["fresh"], imported["r30"], edits)
	}
	run(cur)
	if len(imported) != 61 || edits["r30"] != 1 || imported["fresh"] != 1 {
		t.Fatalf("something came again: %v %v", imported, edits)
	}
	f.mu.Lock()
	issued := f.issued
	f.mu.Unlock()
	if issued != 1 {
		t.Errorf("%d access tokens fetched for one hour's work, want one (cached)", issued)
	}
}

func TestPoll_RefreshesARefusedTokenOnceThenGivesUp(t *testing.T) {
	f := newFakeGoogle(t)
	a := New(f.config(clock))
	ch := f.channel()
	f.add(gReview("r1", "THREE", now.Add(-time.Hour), now.Add(-time.Hour)))
	if _, _, err := a.Poll(context.Background(), ch, ""); err != nil {
		t.Fatal(err)
	}
	f.revoke()
	body, _, err := a.Poll(context.Background(), ch, "")
	if err != nil || !strings.Contains(string(body), `"r1"`) {
		t.Fatalf("after the token was revoked: %s %v", body, err)
	}
	if f.issued != 2 {
		t.Errorf("%d tokens issued, want a second one after the refusal", f.issued)
	}
	// The business revoked Loket's access: permanent, with Google's words.
	ch.Secrets["refresh_token"] = "1//0revoked"
	_, _, err = a.Poll(context.Background(), ch, "")
	if !channel.IsPermanent(err) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("a revoked refresh token: %v, want permanent invalid_grant", err)
	}
	ch.Secrets["refresh_token"], ch.Secrets["client_secret"] = refreshToken, "wrong"
	if got := a.Check(context.Background(), ch); len(got) != 1 || got[0].OK || !strings.Contains(got[0].Detail, "invalid_client") {
		t.Fatalf("check with a wrong client secret: %+v", got)
	}
	ch.Secrets["client_secret"] = clientSecret
	if got := a.Check(context.Background(), ch); len(got) != 1 || !got[0].OK {
		t.Fatalf("check: %+v", got)
	}
}

func TestSend_PutsTheReplyAndReplacesAnEarlierOne(t *testing.T) {
	f := newFakeGoogle(t)
	a := New(f.config(clock))
	ch := f.channel()
	f.add(gReview("r1", "TWO", now, now))
	out := func(id int64, text string) *channel.Outbound {
		return &channel.Outbound{Channel: ch, Message: &domain.Message{ID: id, Text: text}, Public: true, ReplyTo: "r1"}
	}
	sent, err := a.Send(context.Background(), out(5, "Sorry about the wait, Marieke."))
	if err != nil || sent.ExternalID != "reply:r1:5" {
		t.Fatalf("send: %+v %v", sent, err)
	}
	if sent, err = a.Send(context.Background(), out(6, "We have called you.")); err != nil || sent.ExternalID != "reply:r1:6" {
		t.Fatalf("a second reply: %+v %v", sent, err)
	}
	if got := f.sentReplies(); !slices.Equal(got, []string{"r1: Sorry about the wait, Marieke.", "r1: We have called you."}) {
		t.Fatalf("Google got %v", got)
	}
	if _, err := a.Send(context.Background(), out(7, strings.Repeat("x", MaxReply+1))); !channel.IsPermanent(err) {
		t.Errorf("a reply over 4096 characters: %v", err)
	}
	gone := out(8, "Hello?")
	gone.ReplyTo = "deleted-review"
	if _, err := a.Send(context.Background(), gone); !channel.IsPermanent(err) || !strings.Contains(err.Error(), "NOT_FOUND") {
		t.Errorf("a reply to a review Google removed: %v", err)
	}
}

func TestValidate_Settings(t *testing.T) {
	f := newFakeGoogle(t)
	a := New(f.config(clock))
	if err := a.Validate(json.RawMessage(f.settings()), f.secrets()); err != nil {
		t.Fatal(err)
	}
	if err := a.Validate(json.RawMessage(`{"account_id":"accounts/1","location_id":"locations/2"}`), f.secrets()); err != nil {
		t.Errorf("resource names as Google writes them: %v", err)
	}
	for name, tc := range map[string]struct {
		settings string
		secrets  map[string]string
	}{
		"no location":    {`{"account_id":"1"}`, f.secrets()},
		"unknown field":  {`{"account_id":"1","location_id":"2","place":"x"}`, f.secrets()},
		"http link":      {`{"account_id":"1","location_id":"2","reviews_url":"http://maps.google.com"}`, f.secrets()},
		"fast polling":   {`{"account_id":"1","location_id":"2","poll_interval_seconds":10}`, f.secrets()},
		"no refresh":     {f.settings(), map[string]string{"client_id": clientID, "client_secret": clientSecret}},
		"bad account id": {`{"account_id":"1/../2","location_id":"2"}`, f.secrets()},
	} {
		if err := a.Validate(json.RawMessage(tc.settings), tc.secrets); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
