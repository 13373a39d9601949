package meta

import (
	"net/http"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel/metahook"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// Comment webhooks come by the same signed route as messages: a wrong or
// missing signature is refused before anything is read or looked up, and
// Meta's retry of a comment stores it once.
func TestWebhook_CommentsAreSignedAndStoredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		for _, k := range []struct{ kind, fixture, post string }{
			{KindMessenger, "messenger_comment.json", postID},
			{KindInstagram, "instagram_comment.json", igMedia},
		} {
			ch := e.CreateChannel(k.kind, e.g.settings(k.kind))
			body := e.fixture(k.fixture, "")
			for name, h := range map[string]http.Header{
				"missing":            nil,
				"another app secret": sign("not-the-app-secret", body),
				"SHA-1 only":         {"X-Hub-Signature": {"sha1=" + strings.Repeat("0", 40)}},
				"not hex":            {metahook.SignatureHeader: {"sha256=zz"}},
			} {
				status, answer := e.Post(k.kind, ch.ID, "webhook", "application/json", body, h)
				if status != 401 || !strings.Contains(string(answer), "invalid_signature") {
					t.Errorf("%s %s: %d %s, want 401 invalid_signature", k.kind, name, status, answer)
				}
			}
			if n := e.g.Profiles(k.post); n != 0 {
				t.Errorf("%s: %d post lookups after refused webhooks, want none", k.kind, n)
			}
			e.hook(k.kind, ch.ID, body, 200)
			e.hook(k.kind, ch.ID, body, 200) // Meta retrying
		}
		// One Facebook comment; the Instagram comment and its reply.
		n := 0
		for _, tk := range e.Tickets() {
			n += len(e.Messages(tk.ID))
		}
		if n != 3 {
			t.Errorf("%d comments stored, want 3, each once", n)
		}
	})
}
