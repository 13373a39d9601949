package webchat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/phonetest"
	"loket.dev/loket/internal/channel/webchat"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// callbackEnv is a server with a voice channel and two website chats: one
// whose callbacks go to the voice channel, one pointed at itself.
type callbackEnv struct {
	t                  *testing.T
	st                 *store.Store
	srv                *httptest.Server
	now                time.Time
	voice, chat, wrong int64
}

func newCallbackEnv(t *testing.T, st *store.Store) *callbackEnv {
	t.Helper()
	ctx := context.Background()
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &callbackEnv{t: t, st: st, now: time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	channels := channel.NewRegistry(&phonetest.Phone{})
	d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channels, Region: "NL", Log: log})
	t.Cleanup(d.Close)
	channels.Register(webchat.New(webchat.Config{Desk: d, Store: st, Blobs: blobs, Log: log, Now: func() time.Time { return e.now }}))
	e.srv = httptest.NewServer(httpapi.New(httpapi.Config{Desk: d, Store: st, Blobs: blobs, Channels: channels, Log: log}).Handler())
	t.Cleanup(e.srv.Close)

	team := &domain.Team{Name: "Support"}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	add := func(kind, settings string) int64 {
		ch := &domain.Channel{Kind: kind, Name: kind, TeamID: team.ID, Enabled: true, Settings: json.RawMessage(settings)}
		if err := st.CreateChannel(ctx, ch, secret.Token("in")); err != nil {
			t.Fatal(err)
		}
		return ch.ID
	}
	e.voice = add("phone", `{}`)
	e.chat = add("webchat", fmt.Sprintf(`{"callback_channel_id":%d}`, e.voice))
	e.wrong = add("webchat", `{}`)
	wrong, err := st.Channel(ctx, e.wrong)
	if err != nil {
		t.Fatal(err)
	}
	wrong.Settings = json.RawMessage(fmt.Sprintf(`{"callback_channel_id":%d}`, e.chat))
	if err := st.UpdateChannel(ctx, wrong); err != nil {
		t.Fatal(err)
	}
	return e
}

// post sends a visitor request the way the widget does and decodes the
// answer into out; it returns the status and the error code.
func (e *callbackEnv) post(chat int64, path, body string, out any) (int, string) {
	e.t.Helper()
	res, err := http.Post(fmt.Sprintf("%s/api/v1/webchat/%d/%s", e.srv.URL, chat, path), "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var fail struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(raw, &fail)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s: %v in %s", path, err, raw)
		}
	}
	return res.StatusCode, fail.Error.Code
}

func (e *callbackEnv) start(chat int64) webchat.Session {
	e.t.Helper()
	var s webchat.Session
	if status, code := e.post(chat, "session", `{"language":"nl"}`, &s); status != 200 {
		e.t.Fatalf("session: %d %s", status, code)
	}
	return s
}

func TestCallback_AVisitorsRequestWaitsOnTheVoiceChannelWithTheVisitorLinked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCallbackEnv(t, st)
		ctx := context.Background()
		s := e.start(e.chat)
		if !s.Channel.Callbacks {
			t.Fatal("the chat's config does not offer callbacks")
		}
		at := e.now.Add(26 * time.Hour).Format(time.RFC3339)
		var cb webchat.Callback
		status, code := e.post(e.chat, "callback", fmt.Sprintf(`{"token":%q,"number":"06 1234 5678","name":"Jan","at":%q,"note":"Over mijn factuur"}`, s.Token, at), &cb)
		if status != http.StatusCreated || cb.Number != "+31612345678" || cb.At != at {
			t.Fatalf("callback: %d %s %+v", status, code, cb)
		}
		contactID, err := st.ContactIDByIdentity(ctx, domain.Identity{Kind: domain.IdentityPhone, Value: "+31612345678"})
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.WebchatVisitorByToken(ctx, e.chat, secret.Hash(s.Token))
		if err != nil {
			t.Fatal(err)
		}
		if owner, err := st.ContactIDByIdentity(ctx, domain.Identity{Kind: domain.IdentityWeb, Value: v.PublicID}); err != nil || owner != contactID {
			t.Errorf("the visitor's identity belongs to contact %d (%v), want the caller %d", owner, err, contactID)
		}
		contact, err := st.Contact(ctx, contactID)
		if err != nil || contact.Name != "Jan" || contact.Language != "nl" {
			t.Errorf("contact %+v (%v): want Jan, in Dutch", contact, err)
		}
		calls, err := st.Calls(ctx, store.CallFilter{State: domain.CallRequested})
		if err != nil || len(calls) != 1 {
			t.Fatalf("requested calls %+v (%v): want one", calls, err)
		}
		c := calls[0]
		if c.ChannelID != e.voice || c.ContactID != contactID || c.Note != "Over mijn factuur" || c.CallbackAt != e.now.Add(26*time.Hour).UnixMilli() {
			t.Errorf("request %+v: want it on the voice channel with the time and note", c)
		}
	})
}

func TestCallback_RefusesWhatCannotBeCalledWithACode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCallbackEnv(t, st)
		tests := []struct {
			name   string
			chat   int64
			body   string
			status int
			code   string
		}{
			{"not a number", e.chat, `{"token":%q,"number":"call me"}`, 422, "invalid_phone"},
			{"no number", e.chat, `{"token":%q,"number":""}`, 422, "invalid_phone"},
			{"a time that is no time", e.chat, `{"token":%q,"number":"0612345678","at":"tomorrow"}`, 422, "invalid_at"},
			{"a time next month", e.chat, `{"token":%q,"number":"0612345678","at":"2027-01-08T10:00:00Z"}`, 422, "invalid_at"},
			{"an unknown visitor", e.chat, `{"token":"wcv_nobody%s","number":"0612345678"}`, 401, "invalid_visitor_token"},
			{"a chat without callbacks", e.voice, `{"token":%q,"number":"0612345678"}`, 404, "not_found"},
			{"a callback channel that is no telephone", e.wrong, `{"token":%q,"number":"0612345678"}`, 422, "not_a_phone_channel"},
		}
		for _, tt := range tests {
			token := "" // each visitor's few requests an hour are their own
			if tt.chat != e.voice {
				token = e.start(tt.chat).Token
			}
			status, code := e.post(tt.chat, "callback", fmt.Sprintf(tt.body, token), nil)
			if status != tt.status || code != tt.code {
				t.Errorf("%s: %d %s, want %d %s", tt.name, status, code, tt.status, tt.code)
			}
		}
		calls, err := st.Calls(context.Background(), store.CallFilter{State: domain.CallRequested})
		if err != nil || len(calls) != 0 {
			t.Errorf("refused requests left calls %+v (%v)", calls, err)
		}
	})
}

func TestCallback_AVisitorAsksAFewTimesAnHourAtMost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCallbackEnv(t, st)
		s := e.start(e.chat)
		body := fmt.Sprintf(`{"token":%q,"number":"0612345678"}`, s.Token)
		for i := range 3 {
			if status, code := e.post(e.chat, "callback", body, nil); status != http.StatusCreated {
				t.Fatalf("request %d: %d %s", i+1, status, code)
			}
		}
		if status, code := e.post(e.chat, "callback", body, nil); status != http.StatusTooManyRequests || code != "rate_limited" {
			t.Fatalf("fourth request: %d %s, want 429 rate_limited", status, code)
		}
		if status, code := e.post(e.chat, "callback", fmt.Sprintf(`{"token":%q,"number":"0612345678"}`, e.start(e.chat).Token), nil); status != http.StatusCreated {
			t.Errorf("another visitor: %d %s", status, code)
		}
	})
}

func TestCallback_NoChatOffersCallbacksUnlessItNamesAChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newCallbackEnv(t, st)
		ctx := context.Background()
		plain := &domain.Channel{Kind: "webchat", Name: "Plain", Enabled: true, Settings: json.RawMessage(`{}`)}
		if err := st.CreateChannel(ctx, plain, "plain-token"); err != nil {
			t.Fatal(err)
		}
		s := e.start(plain.ID)
		if s.Channel.Callbacks {
			t.Error("a chat without callback_channel_id offers callbacks")
		}
		if status, code := e.post(plain.ID, "callback", fmt.Sprintf(`{"token":%q,"number":"0612345678"}`, s.Token), nil); status != 404 || code != "callbacks_off" {
			t.Errorf("callback on a chat without callbacks: %d %s", status, code)
		}
	})
}
