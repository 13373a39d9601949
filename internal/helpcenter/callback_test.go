package helpcenter_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/phonetest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/helpcenter"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// callbackSite serves the help center with a voice channel for callbacks,
// on a Tuesday at 10:00 UTC.
func callbackSite(t *testing.T, st *store.Store) (*httptest.Server, int64) {
	t.Helper()
	ctx := context.Background()
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(&phonetest.Phone{}), Region: "NL", Log: log})
	t.Cleanup(d.Close)
	team := &domain.Team{Name: "Support"}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	ch := &domain.Channel{Kind: "phone", Name: "Phone", TeamID: team.ID, Enabled: true, Settings: json.RawMessage(`{}`)}
	if err := st.CreateChannel(ctx, ch, "voice-token"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(helpcenter.New(helpcenter.Config{Store: st, Log: log, CallbackChannelID: ch.ID, Callbacks: d,
		ClientIP: func(r *http.Request) string { return r.Header.Get("X-Test-Client") }, Location: time.UTC, Now: func() time.Time { return now }}))
	t.Cleanup(srv.Close)
	return srv, ch.ID
}

// postForm posts the form from client address ip with extra headers and
// returns the final status and page, following the redirect.
func postForm(t *testing.T, srv *httptest.Server, ip string, form url.Values, headers ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/help/nl/callback", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Test-Client", ip)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	res, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestHelpCenterCallback_AFormWithoutScriptsRecordsTheRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv, voiceID := callbackSite(t, st)
		ctx := context.Background()
		status, home := get(t, srv, "/help/nl")
		if status != 200 || !strings.Contains(home, `href="/help/nl/callback">Bel mij terug</a>`) {
			t.Fatalf("home %d lacks the link to the callback form", status)
		}
		status, page := get(t, srv, "/help/nl/callback")
		for _, want := range []string{`<form class="callback" method="post" action="/help/nl/callback">`, `<label for="number">Telefoonnummer</label>`,
			`<option value="asap" selected>Zo snel mogelijk</option>`, `<option value="2026-12-08T13:00">dinsdag 8 december, middag (13:00–17:00)</option>`,
			`<option value="2026-12-14T13:00">maandag 14 december, middag`, `<meta name="robots" content="noindex">`} {
			if !strings.Contains(page, want) {
				t.Errorf("callback page (%d) lacks %q", status, want)
			}
		}
		if strings.Contains(page, "2026-12-08T09:00") || strings.Contains(page, "<script") {
			t.Error("the form offers this morning, which is past, or needs a script")
		}
		status, thanks := postForm(t, srv, "192.0.2.1", url.Values{"number": {"06 1234 5678"}, "name": {"Jan"}, "when": {"2026-12-09T09:00"}, "note": {"Over mijn bestelling"}})
		if status != 200 || !strings.Contains(thanks, "Bedankt!") {
			t.Fatalf("after the form: %d %.300s", status, thanks)
		}
		calls, err := st.Calls(ctx, store.CallFilter{State: domain.CallRequested})
		if err != nil || len(calls) != 1 {
			t.Fatalf("requested calls %+v (%v): want one", calls, err)
		}
		c := calls[0]
		want := time.Date(2026, 12, 9, 9, 0, 0, 0, time.UTC).UnixMilli()
		if c.ChannelID != voiceID || c.Customer != "+31612345678" || c.CallbackAt != want || c.Note != "Over mijn bestelling" {
			t.Errorf("request %+v: want it on the voice channel for Wednesday morning", c)
		}
		contact, err := st.Contact(ctx, c.ContactID)
		if err != nil || contact.Name != "Jan" || contact.Language != "nl" {
			t.Errorf("contact %+v (%v): want Jan, in Dutch", contact, err)
		}
	})
}

func TestHelpCenterCallback_RefusesWhatItCannotTakeAndKeepsTheForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv, _ := callbackSite(t, st)
		tests := []struct {
			name    string
			ip      string
			form    url.Values
			headers []string
			status  int
			want    []string
		}{
			{"a number that is none", "192.0.2.10", url.Values{"number": {"bel me"}, "name": {"Jan"}, "note": {"Mijn vraag"}}, nil, 422,
				[]string{"Vul een telefoonnummer in", `value="bel me"`, `value="Jan"`, ">Mijn vraag</textarea>", `aria-describedby="number-hint problem"`}},
			{"a time not offered", "192.0.2.11", url.Values{"number": {"0612345678"}, "when": {"2026-12-08T09:00"}}, nil, 422,
				[]string{"Dat moment is niet meer beschikbaar"}},
			{"a post from another site", "192.0.2.12", url.Values{"number": {"0612345678"}}, []string{"Sec-Fetch-Site", "cross-site"}, 403,
				[]string{"Het formulier kon niet vanaf deze pagina worden verstuurd"}},
			{"a post from another origin", "192.0.2.13", url.Values{"number": {"0612345678"}}, []string{"Origin", "https://evil.example"}, 403, nil},
		}
		for _, tt := range tests {
			status, page := postForm(t, srv, tt.ip, tt.form, tt.headers...)
			if status != tt.status {
				t.Errorf("%s: %d, want %d", tt.name, status, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("%s: page lacks %q", tt.name, w)
				}
			}
		}
		calls, err := st.Calls(context.Background(), store.CallFilter{State: domain.CallRequested})
		if err != nil || len(calls) != 0 {
			t.Errorf("refused forms left calls %+v (%v)", calls, err)
		}
	})
}

func TestHelpCenterCallback_OneAddressAsksAFewTimesAnHour(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv, _ := callbackSite(t, st)
		form := url.Values{"number": {"0612345678"}, "when": {"asap"}}
		for i := range 5 {
			if status, _ := postForm(t, srv, "192.0.2.20", form); status != 200 {
				t.Fatalf("request %d: %d", i+1, status)
			}
		}
		if status, page := postForm(t, srv, "192.0.2.20", form); status != http.StatusTooManyRequests || !strings.Contains(page, "al een paar keer") {
			t.Errorf("sixth request: %d", status)
		}
		if status, _ := postForm(t, srv, "192.0.2.21", form); status != 200 {
			t.Errorf("another address: %d", status)
		}
	})
}

func TestHelpCenterCallback_NoFormWithoutACallbackChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := helpcenter.New(helpcenter.Config{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		for _, method := range []string{"GET", "POST"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, "/help/en/callback", strings.NewReader("number=0612345678")))
			if rec.Code != 404 {
				t.Errorf("%s without a callback channel: %d", method, rec.Code)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/help/en", nil))
		if strings.Contains(rec.Body.String(), "/callback") {
			t.Error("the home page links to a callback form that is not there")
		}
	})
}
