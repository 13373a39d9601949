package x

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

func TestSend(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: t0}
	f := newFakeX(t)
	f.addUser("42", "janjansen", "Jan Jansen")
	a := New(Config{Now: c.Now})
	mention := f.mention("42", "@AcmeSupport where is my order?", "", t0)
	contact := &domain.Contact{ID: 3, Identities: []domain.Identity{{Kind: domain.IdentityEmail, Value: "jan@example.nl"}, {Kind: domain.IdentityX, Value: "42"}}}

	for _, tc := range []struct {
		name string
		out  channel.Outbound
		want posted
	}{
		{"a public reply answers the mention", channel.Outbound{Public: true, ReplyTo: mention, Message: message("Sorry Jan, we are on it.")},
			posted{Kind: "tweet", Text: "Sorry Jan, we are on it.", ReplyTo: mention}},
		{"taking it private sends a direct message to the mention's author", channel.Outbound{PrivateReplyTo: mention, Contact: contact,
			Message: message("Could you send us your order number?")}, posted{Kind: "dm", Text: "Could you send us your order number?", To: "42"}},
		{"a reply on a private ticket is a direct message to the address", channel.Outbound{To: xid("42"), Contact: contact,
			Message: message("Thanks, it ships today.")}, posted{Kind: "dm", Text: "Thanks, it ships today.", To: "42"}},
		{"280 characters fit a public reply", channel.Outbound{Public: true, ReplyTo: mention, Message: message(strings.Repeat("é", 280))},
			posted{Kind: "tweet", Text: strings.Repeat("é", 280), ReplyTo: mention}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.out.Channel = f.channel()
			sent, err := a.Send(ctx, &tc.out)
			if err != nil {
				t.Fatal(err)
			}
			all := f.Posted()
			got := all[len(all)-1]
			tc.want.ID = got.ID
			if got != tc.want || sent.ExternalID != got.ID || sent.Status != domain.DeliverySent {
				t.Fatalf("posted %+v and answered %+v, want %+v", got, sent, tc.want)
			}
			if got.Kind == "dm" && (sent.Identity == nil || *sent.Identity != domain.Identity{Kind: domain.IdentityX, Value: "42"}) {
				t.Errorf("identity %v, want the X id the message reached", sent.Identity)
			}
		})
	}
}

func TestSend_Failures(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: t0}
	f := newFakeX(t)
	f.addUser("42", "janjansen", "Jan Jansen")
	a := New(Config{Now: c.Now})
	mention := f.mention("42", "@AcmeSupport hello", "", t0)
	for _, tc := range []struct {
		name      string
		out       channel.Outbound
		limit     bool
		permanent bool
		retry     time.Duration
		says      string
	}{
		{name: "281 characters do not fit a public reply", out: channel.Outbound{Public: true, ReplyTo: mention, Message: message(strings.Repeat("a", 281))},
			permanent: true, says: "at most 280 characters and this one has 281"},
		{name: "a public reply needs a post to answer", out: channel.Outbound{Public: true, Message: message("hi")}, permanent: true, says: "no post id"},
		{name: "empty", out: channel.Outbound{To: xid("42"), Message: message("  ")}, permanent: true, says: "empty text cannot be posted"},
		{name: "no X address", out: channel.Outbound{To: &domain.Identity{Kind: domain.IdentityEmail, Value: "jan@example.nl"},
			Contact: &domain.Contact{}, Message: message("hi")}, permanent: true, says: "no X account"},
		{name: "X refuses the recipient", out: channel.Outbound{To: xid("99"), Message: message("hi")}, permanent: true, says: "You cannot send messages to this user"},
		{name: "rate limited", out: channel.Outbound{To: xid("42"), Message: message("hi")}, limit: true, retry: 90 * time.Second, says: "429"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.limit {
				f.limit("POST /2/dm_conversations/", t0.Add(90*time.Second).Unix())
			}
			tc.out.Channel = f.channel()
			_, err := a.Send(ctx, &tc.out)
			if err == nil || channel.IsPermanent(err) != tc.permanent || channel.RetryWait(err) != tc.retry || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %v (permanent %t, wait %s), want permanent %t, wait %s, saying %q", err, channel.IsPermanent(err), channel.RetryWait(err),
					tc.permanent, tc.retry, tc.says)
			}
		})
	}
	// The retry after the rate limit goes through; a second identical
	// tweet is X's duplicate, refused for good.
	out := channel.Outbound{Channel: f.channel(), Public: true, ReplyTo: mention, Message: message("We are on it.")}
	if _, err := a.Send(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Send(ctx, &out); !channel.IsPermanent(err) || !strings.Contains(err.Error(), "duplicate content") {
		t.Fatalf("error %v, want X's duplicate refusal, permanent", err)
	}
}

func TestModerate(t *testing.T) {
	ctx := context.Background()
	f := newFakeX(t)
	f.addUser("42", "janjansen", "Jan Jansen")
	a := New(Config{})
	ours := f.mention(accountID, "Our winter sale starts today", "", t0)
	reply := f.mention("42", "@AcmeSupport spam spam spam", ours, t0)
	elsewhere := f.mention("42", "@AcmeSupport in my own thread", "", t0)

	if err := a.Moderate(ctx, f.channel(), reply, domain.ModerationHide); err != nil || !f.Hidden(reply) {
		t.Fatalf("hide: %v, hidden %t", err, f.Hidden(reply))
	}
	if err := a.Moderate(ctx, f.channel(), reply, domain.ModerationUnhide); err != nil || f.Hidden(reply) {
		t.Fatalf("unhide: %v, hidden %t", err, f.Hidden(reply))
	}
	var de *domain.Error
	if err := a.Moderate(ctx, f.channel(), elsewhere, domain.ModerationHide); !errors.As(err, &de) || de.Code != "moderation_refused" || !strings.Contains(err.Error(), "did not start") {
		t.Errorf("hiding a post outside our conversations: %v, want X's refusal as moderation_refused", err)
	}
	f.limit("PUT /2/tweets/", t0.Unix()+60)
	if err := a.Moderate(ctx, f.channel(), reply, domain.ModerationHide); channel.RetryWait(err) == 0 || errors.As(err, &de) {
		t.Errorf("hiding while rate limited: %v, want X's wait", err)
	}
	if err := a.Moderate(ctx, f.channel(), reply, domain.ModerationDelete); !errors.As(err, &de) || de.Code != "unsupported_moderation" {
		t.Errorf("delete: %v, want unsupported_moderation", err)
	}
	if err := a.Moderate(ctx, f.channel(), "../1", domain.ModerationHide); !errors.As(err, &de) || de.Code != "invalid_external_id" {
		t.Errorf("a bad id: %v, want invalid_external_id", err)
	}
}

func TestCheck(t *testing.T) {
	f := newFakeX(t)
	a := New(Config{})
	for _, tc := range []struct {
		name     string
		settings string
		secret   string
		ok       bool
		says     string
	}{
		{"the keys act for the account", `{"user_id":"` + accountID + `","handle":"@acmesupport"}`, accessSecret, true, "signed in as @AcmeSupport"},
		{"another account", `{"user_id":"12","handle":"AcmeSupport"}`, accessSecret, false, "not for the channel's user_id 12"},
		{"another handle", `{"user_id":"` + accountID + `","handle":"Acme"}`, accessSecret, false, "correct the handle"},
		{"a wrong secret", `{"user_id":"` + accountID + `","handle":"AcmeSupport"}`, "wrong", false, "HTTP 401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := f.channel()
			var s map[string]any
			json.Unmarshal([]byte(tc.settings), &s)
			s["api_base_url"] = f.srv.URL
			ch.Settings, _ = json.Marshal(s)
			ch.Secrets[SecretAccessTokenSecret] = tc.secret
			checks := a.Check(context.Background(), ch)
			if len(checks) != 1 || checks[0].OK != tc.ok || !strings.Contains(checks[0].Detail, tc.says) {
				t.Fatalf("checks %+v, want ok %t saying %q", checks, tc.ok, tc.says)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	secrets := map[string]string{SecretConsumerKey: "k", SecretConsumerSecret: "s", SecretAccessToken: "t", SecretAccessTokenSecret: "ts"}
	for _, tc := range []struct{ name, settings, code string }{
		{"complete", `{"user_id":"1600000000000000001","handle":"@AcmeSupport","poll_interval_seconds":90}`, ""},
		{"a test server", `{"user_id":"1","handle":"a","api_base_url":"http://127.0.0.1:8080/"}`, ""},
		{"an unknown field", `{"user_id":"1","handle":"a","bearer_token":"x"}`, "invalid_settings"},
		{"a handle for the user id", `{"user_id":"AcmeSupport","handle":"a"}`, "invalid_user_id"},
		{"no handle", `{"user_id":"1"}`, "invalid_handle"},
		{"a handle too long", `{"user_id":"1","handle":"abcdefghijklmnop"}`, "invalid_handle"},
		{"a base URL with a path", `{"user_id":"1","handle":"a","api_base_url":"https://api.x.com/2"}`, "invalid_api_base_url"},
		{"polling too often", `{"user_id":"1","handle":"a","poll_interval_seconds":10}`, "invalid_poll_interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := New(Config{}).Validate(json.RawMessage(tc.settings), secrets)
			var de *domain.Error
			if tc.code == "" && err != nil || tc.code != "" && (!errors.As(err, &de) || de.Code != tc.code) {
				t.Fatalf("error %v, want %q", err, tc.code)
			}
		})
	}
	for _, name := range (*Adapter)(nil).Secrets() {
		partial := map[string]string{}
		for k, v := range secrets {
			if k != name {
				partial[k] = v
			}
		}
		var de *domain.Error
		if err := New(Config{}).Validate(json.RawMessage(`{"user_id":"1","handle":"a"}`), partial); !errors.As(err, &de) || de.Code != "missing_"+name {
			t.Errorf("without %s: %v", name, err)
		}
	}
}

func TestCapabilities(t *testing.T) {
	c := New(Config{}).Capabilities()
	if !c.Public || !c.PrivateReplies || c.MaxLength != 280 || len(c.Moderation) != 2 || c.Attachments ||
		len(c.Identities) != 1 || c.Identities[0] != domain.IdentityX {
		t.Fatalf("capabilities %+v", c)
	}
}
