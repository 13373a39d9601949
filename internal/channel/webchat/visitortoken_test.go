package webchat_test

import (
	"fmt"
	"testing"
	"time"

	"loket.dev/loket/internal/channel/webchat"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestVisitorToken_IsReplacedAfterAWeekAndLapsesAfterAMonthIdle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCallbackEnv(t, st)
		resume := func(token string) webchat.Session {
			t.Helper()
			var s webchat.Session
			if status, code := e.post(e.chat, "session", fmt.Sprintf(`{"token":%q,"language":"nl"}`, token), &s); status != 200 {
				t.Fatalf("session: %d %s", status, code)
			}
			return s
		}
		works := func(token string) bool {
			status, _ := e.post(e.chat, "history", fmt.Sprintf(`{"token":%q}`, token), nil)
			return status == 200
		}
		first := e.start(e.chat).Token
		e.now = e.now.Add(24 * time.Hour)
		if s := resume(first); s.Token != "" || !works(first) {
			t.Fatalf("a day later: new token %q, old one works %v; want the same token kept", s.Token, works(first))
		}
		e.now = e.now.Add(webchat.TokenRotate)
		second := resume(first).Token
		if second == "" || second == first || works(first) || !works(second) {
			t.Fatalf("a week later: token %q (was %q); the old works %v, the new %v: want it replaced", second, first, works(first), works(second))
		}
		e.now = e.now.Add(webchat.TokenIdle + time.Hour)
		if works(second) {
			t.Error("a token idle for more than a month still works")
		}
		if third := resume(second).Token; third == "" || third == second {
			t.Errorf("coming back after a month idle gave token %q: want a new session", third)
		}
	})
}
