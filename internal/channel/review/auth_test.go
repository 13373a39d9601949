package review

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

func TestTokens_CachedUntilShortlyBeforeTheyExpire(t *testing.T) {
	now := t0
	tokens := NewTokens(func() time.Time { return now })
	var fetched int
	fetch := func(context.Context) (Token, error) {
		fetched++
		return Token{Access: fmt.Sprint("tok-", fetched), Expires: now.Add(time.Hour)}, nil
	}
	get := func() string {
		tok, err := tokens.Get(context.Background(), "k", fetch)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	first, second := get(), get()
	if first != "tok-1" || second != "tok-1" {
		t.Fatal("the token was not cached")
	}
	now = now.Add(time.Hour - tokenMargin - time.Second)
	if get() != "tok-1" {
		t.Fatal("replaced before its margin")
	}
	now = now.Add(2 * time.Second)
	if get() != "tok-2" {
		t.Fatal("not replaced within the margin before expiry")
	}
	tokens.Drop("k", "tok-1") // an old token: nothing to drop
	if get() != "tok-2" {
		t.Fatal("dropping an old token dropped the current one")
	}
	tokens.Drop("k", "tok-2")
	if get() != "tok-3" {
		t.Fatal("a dropped token was used again")
	}
}

func TestTokenKey_ChangesWithTheCredentials(t *testing.T) {
	ch := &domain.Channel{ID: 1, Kind: "k", Secrets: map[string]string{"a": "1", "b": "2"}}
	k1 := TokenKey(ch, "a", "b")
	ch.Secrets["b"] = "3"
	if k2 := TokenKey(ch, "a", "b"); k1 == k2 || !strings.HasPrefix(k1, "k/1/") {
		t.Errorf("keys %q and %q", k1, k2)
	}
}

func TestStatusError_MapsFailuresOntoTheContract(t *testing.T) {
	req := httptest.NewRequest("GET", "https://site.example/v1/reviews", nil)
	for _, tc := range []struct {
		status    int
		header    string
		body      string
		permanent bool
		wait      time.Duration
		message   string
	}{
		{429, "30", `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`, false, 30 * time.Second, "RESOURCE_EXHAUSTED Quota exceeded"},
		{429, "", `{"message":"Too many requests"}`, false, time.Minute, "Too many requests"},
		{429, "Wed, 21 Oct 2026 07:28:00 GMT", ``, false, time.Minute, "429"},
		{401, "", `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`, true, 0, "invalid authentication"},
		{400, "", `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`, true, 0, "invalid_grant: Token has been expired or revoked."},
		{404, "", `{"details":"Review not found"}`, true, 0, "Review not found"},
		{503, "", `<html>unavailable</html>`, false, 0, "<html>unavailable</html>"},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		err := StatusError("Site", req, tc.status, h, []byte(tc.body))
		if channel.IsPermanent(err) != tc.permanent || channel.RetryWait(err) != tc.wait || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%d %s: %v (permanent %v, wait %v)", tc.status, tc.body, err, channel.IsPermanent(err), channel.RetryWait(err))
		}
	}
}

func TestCall_GetsANewTokenOnceWhenRefused(t *testing.T) {
	var valid atomic.Value
	valid.Store("tok-2")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+valid.Load().(string) {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"message":"Unauthorized"}`)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer srv.Close()
	var fetched atomic.Int32
	fetch := func(context.Context) (Token, error) {
		n := fetched.Add(1)
		return Token{Access: fmt.Sprint("tok-", n), Expires: t0.Add(time.Hour)}, nil
	}
	api := API{Name: "Site", Client: srv.Client(), Tokens: NewTokens(func() time.Time { return t0 })}
	build := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/x", nil)
	}
	var out struct{ OK bool }
	// tok-1 is refused (revoked before it expired): tok-2 is fetched and works.
	if err := api.Call(context.Background(), "k", fetch, build, &out); err != nil || !out.OK || fetched.Load() != 2 {
		t.Fatalf("call: %v, %+v, %d tokens fetched", err, out, fetched.Load())
	}
	// Credentials revoked for good: one new token, then permanent.
	valid.Store("none")
	err := api.Call(context.Background(), "k", fetch, build, &out)
	if !channel.IsPermanent(err) || fetched.Load() != 3 {
		t.Fatalf("refused twice: %v with %d tokens fetched, want permanent after one more", err, fetched.Load())
	}
	// A token endpoint that fails passes its error on.
	api.Tokens = NewTokens(func() time.Time { return t0 })
	bad := func(context.Context) (Token, error) { return Token{}, channel.Permanent(errors.New("invalid_client")) }
	if err := api.Call(context.Background(), "k", bad, build, nil); !channel.IsPermanent(err) {
		t.Fatalf("a refused sign-in: %v", err)
	}
}
