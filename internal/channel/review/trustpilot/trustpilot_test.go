package trustpilot

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
	got, more, err := parsePage(body, PageSize)
	if err != nil || !more || len(got) != 2 {
		t.Fatalf("%d reviews, more %v, err %v", len(got), more, err)
	}
	jens, sarah := got[0], got[1]
	if jens.ID != "65a1b2c3d4e5f60718293a4b" || jens.AuthorID != "5f0c1d2e3f4a5b6c7d8e9f00" || jens.Rating != 1 ||
		jens.URL != "https://www.trustpilot.com/reviews/65a1b2c3d4e5f60718293a4b" ||
		jens.AuthorURL != "https://www.trustpilot.com/users/5f0c1d2e3f4a5b6c7d8e9f00" ||
		!jens.Updated.Equal(jens.Created) || jens.Reply != nil || jens.Language != "da" {
		t.Errorf("first review %+v", jens)
	}
	// Times without a zone are UTC; an update after creation is an edit.
	if !sarah.Created.Equal(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)) || !sarah.Updated.After(sarah.Created) ||
		sarah.Reply == nil || sarah.Reply.Text != "Thanks Sarah, we are hiring!" || !sarah.Reply.Updated.Equal(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("second review %+v %+v", sarah, sarah.Reply)
	}
}

func TestParse_StarsTitlesAndEdits(t *testing.T) {
	f := newFakeTrustpilot(t)
	a := New(f.config(clock))
	body, _ := os.ReadFile("testdata/reviews.json")
	reviews, _, _ := parsePage(body, PageSize)
	payload, _ := json.Marshal(map[string]any{"reviews": reviews})
	b, err := a.Parse(f.channel(true), review.ContentType, payload, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 2 {
		t.Fatalf("%d messages", len(b.Messages))
	}
	jens, sarah := b.Messages[0], b.Messages[1]
	if jens.Subject != "★☆☆☆☆ Parcel never arrived" || jens.From != (domain.Identity{Kind: domain.IdentityTrustpilotConsumer, Value: "5f0c1d2e3f4a5b6c7d8e9f00"}) ||
		jens.Name != "Jens Hansen" || jens.Language != "da" || jens.Public.Rating != 1 || jens.Public.AuthorURL == "" {
		t.Errorf("first message %+v %+v", jens, jens.Public)
	}
	if sarah.Subject != "★★★★☆ Good, but slow support" || sarah.Language != "en" || !strings.Contains(string(sarah.Meta), "we are hiring") {
		t.Errorf("second message %+v", sarah)
	}
	if len(b.Changes) != 1 || b.Changes[0].ExternalID != "65a1b2c3d4e5f60718293a4c" || !strings.HasPrefix(b.Changes[0].Text, "★★★★☆ Good, but slow support\n\n") {
		t.Errorf("changes %+v", b.Changes)
	}
}

func TestPoll_PagesWithoutRepeatsOrGapsAndWaitsWhenThrottled(t *testing.T) {
	f := newFakeTrustpilot(t)
	a := New(f.config(clock))
	ch := f.channel(true)
	for i := range 75 {
		f.add(tReview(fmt.Sprintf("r%02d", i), i%5+1, now.Add(-time.Duration(i+1)*time.Hour)))
	}
	f.add(tReview("ancient", 3, now.Add(-40*24*time.Hour)))
	// One page a poll, to see a backlog spread over polls.
	a = review.New(NewSite(f.config(clock)), review.Config{Now: clock, PagesPerPoll: 1})
	imported := map[string]int{}
	run := func(cur string) (string, error) {
		body, next, err := a.Poll(context.Background(), ch, cur)
		if err != nil {
			return next, err
		}
		if body != nil {
			b, err := a.Parse(ch, review.ContentType, body, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range b.Messages {
				imported[m.ExternalID]++
			}
		}
		return next, nil
	}
	cur, err := run("")
	if err != nil || len(imported) != 50 {
		t.Fatalf("first poll: %d imported, %v", len(imported), err)
	}
	f.mu.Lock()
	f.throttle = 1
	f.mu.Unlock()
	if next, err := run(cur); channel.RetryWait(err) != 42*time.Second || next != cur {
		t.Fatalf("a 429: %v, cursor kept %v", err, next == cur)
	}
	if cur, err = run(cur); err != nil || len(imported) != 75 || imported["ancient"] != 0 {
		t.Fatalf("second page: %d imported (ancient %d), %v", len(imported), imported["ancient"], err)
	}
	f.add(tReview("new", 5, now))
	for range 2 {
		if cur, err = run(cur); err != nil {
			t.Fatal(err)
		}
	}
	if len(imported) != 76 || imported["new"] != 1 {
		t.Fatalf("after a new review: %d imported, new %d", len(imported), imported["new"])
	}
	for id, n := range imported {
		if n != 1 {
			t.Errorf("%s imported %d times", id, n)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.issued != 1 || !slices.Equal(f.grants, []string{"password"}) {
		t.Errorf("tokens: %d issued by %v, want one password grant (cached)", f.issued, f.grants)
	}
}

func TestPoll_RefreshesARefusedTokenOnceThenGivesUp(t *testing.T) {
	f := newFakeTrustpilot(t)
	a := New(f.config(clock))
	ch := f.channel(false)
	f.add(tReview("r1", 2, now.Add(-time.Hour)))
	if _, _, err := a.Poll(context.Background(), ch, ""); err != nil {
		t.Fatal(err)
	}
	f.revoke()
	if body, _, err := a.Poll(context.Background(), ch, ""); err != nil || !strings.Contains(string(body), `"r1"`) {
		t.Fatalf("after the token was revoked: %s %v", body, err)
	}
	f.mu.Lock()
	grants := slices.Clone(f.grants)
	f.mu.Unlock()
	if !slices.Equal(grants, []string{"client_credentials", "client_credentials"}) {
		t.Errorf("grants %v, want client credentials twice", grants)
	}
	ch.Secrets["api_secret"] = "wrong"
	_, _, err := a.Poll(context.Background(), ch, "")
	if !channel.IsPermanent(err) || !strings.Contains(err.Error(), "InvalidApiKey") {
		t.Fatalf("a wrong API secret: %v, want permanent", err)
	}
	if got := a.Check(context.Background(), ch); len(got) != 1 || got[0].OK {
		t.Fatalf("check with a wrong secret: %+v", got)
	}
}

func TestSend_PostsTheReplyAsTheBusinessUser(t *testing.T) {
	f := newFakeTrustpilot(t)
	a := New(f.config(clock))
	ch := f.channel(true)
	f.add(tReview("r1", 1, now))
	sent, err := a.Send(context.Background(), &channel.Outbound{Channel: ch, Message: &domain.Message{ID: 9, Text: "We are sorry, Jens."}, Public: true, ReplyTo: "r1"})
	if err != nil || sent.ExternalID != "reply:r1:9" {
		t.Fatalf("send: %+v %v", sent, err)
	}
	if !slices.Equal(f.replies, []string{"r1: We are sorry, Jens."}) {
		t.Fatalf("Trustpilot got %v", f.replies)
	}
	if _, err := a.Send(context.Background(), &channel.Outbound{Channel: ch, Message: &domain.Message{ID: 10, Text: "hi"}, PrivateReplyTo: "r1"}); !channel.IsPermanent(err) {
		t.Errorf("a private reply: %v", err)
	}
	if _, err := a.Send(context.Background(), &channel.Outbound{Channel: ch, Message: &domain.Message{ID: 11, Text: "hi"}, Public: true, ReplyTo: "nope"}); !channel.IsPermanent(err) {
		t.Errorf("a reply to an unknown review: %v", err)
	}
}

func TestValidate_Settings(t *testing.T) {
	f := newFakeTrustpilot(t)
	a := New(f.config(clock))
	for _, login := range []bool{true, false} {
		if err := a.Validate(json.RawMessage(f.settings(login)), f.secrets(login)); err != nil {
			t.Errorf("login %v: %v", login, err)
		}
	}
	for name, tc := range map[string]struct {
		settings string
		secrets  map[string]string
	}{
		"no business unit":        {`{"business_user_id":"u"}`, f.secrets(false)},
		"no business user":        {`{"business_unit_id":"b"}`, f.secrets(false)},
		"username, no password":   {f.settings(true), f.secrets(false)},
		"password, no username":   {f.settings(false), f.secrets(true)},
		"no api secret":           {f.settings(false), map[string]string{"api_key": apiKey}},
		"poll every ten seconds":  {`{"business_unit_id":"b","business_user_id":"u","poll_interval_seconds":10}`, f.secrets(false)},
		"unknown field":           {`{"business_unit_id":"b","business_user_id":"u","domain":"x"}`, f.secrets(false)},
		"business unit with path": {`{"business_unit_id":"b/../c","business_user_id":"u"}`, f.secrets(false)},
	} {
		if err := a.Validate(json.RawMessage(tc.settings), tc.secrets); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
