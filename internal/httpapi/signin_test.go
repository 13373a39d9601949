package httpapi_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// signInFrom posts a sign-in from the loopback address ip and returns the
// answer's sign_in_failures.
func (e *env) signInFrom(ip, email, password string, want int) *store.SignInFailures {
	e.t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/session", strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		Failures *store.SignInFailures `json:"sign_in_failures"`
	}
	e.send(c, req, want, &out)
	return out.Failures
}

// frozenClock stops the time rate limits count by, so that no bucket refills
// while a slow test runs.
func frozenClock(c *httpapi.Config) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	c.Clock = func() time.Time { return at }
}

func TestSession_FailedSignInsSlowTheGuesserButNotTheOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, frozenClock)
		const guesser, owner = "127.0.0.2", "127.0.0.1"
		for range 5 {
			e.signInFrom(guesser, "admin@example.com", "wrong password!", 401)
		}
		// The guesser is slowed down, even with the right password...
		e.signInFrom(guesser, "admin@example.com", adminPassword, 429)
		// ...the owner signs in from their own address, and is told.
		f := e.signInFrom(owner, "admin@example.com", adminPassword, 200)
		if f == nil || f.Count != 5 || f.LastFrom != guesser || f.LastAt == 0 {
			t.Fatalf("sign_in_failures = %+v, want 5 from %s", f, guesser)
		}
		if f := e.signInFrom(owner, "admin@example.com", adminPassword, 200); f != nil {
			t.Errorf("told again of %+v, want the notice only once", f)
		}
	})
}

func TestSession_AnAddressGuessingAcrossAccountsIsSlowedDown(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite), frozenClock)
	for i := range 10 {
		e.signInFrom("127.0.0.3", fmt.Sprintf("user%d@example.com", i), "wrong password!", 401)
	}
	e.signInFrom("127.0.0.3", "someone@example.com", "wrong password!", 429)
	e.signInFrom("127.0.0.1", "admin@example.com", adminPassword, 200)
}

func TestSession_NodesShareTheSignInLimit(t *testing.T) {
	st := storetest.Open(t, store.Postgres)
	a := newNode(t, st, true, frozenClock)
	b := newNode(t, st, false, frozenClock)
	const guesser = "127.0.0.3"
	for i := range 5 {
		node := a
		if i%2 == 1 {
			node = b
		}
		node.signInFrom(guesser, "admin@example.com", "wrong password!", 401)
	}
	// Five failures spread over two nodes count as five, on either node.
	a.signInFrom(guesser, "admin@example.com", adminPassword, 429)
	b.signInFrom(guesser, "admin@example.com", adminPassword, 429)
	b.signInFrom("127.0.0.1", "admin@example.com", adminPassword, 200)
}
