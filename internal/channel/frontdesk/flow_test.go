package frontdesk_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/channel/frontdesk"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// office is a whole Loket with a front desk channel, its display served
// beside the API, and one settable clock for the desk and the display.
type office struct {
	*channeltest.Env
	ch      channeltest.Channel
	display *httptest.Server
	now     atomic.Int64 // Unix ms
}

func startOffice(t *testing.T, st *store.Store) *office {
	t.Helper()
	o := &office{}
	o.now.Store(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixMilli())
	var a *frontdesk.Adapter
	o.Env = channeltest.Start(t, st, channeltest.Options{Now: o.now.Load}, func(d *desk.Desk) []channel.Adapter {
		a = frontdesk.New(frontdesk.Config{Desk: d, Store: st, Now: func() time.Time { return time.UnixMilli(o.now.Load()) }})
		return []channel.Adapter{a}
	})
	o.display = httptest.NewServer(a.Display())
	t.Cleanup(o.display.Close)
	o.ch = o.CreateChannel(frontdesk.Kind, `{"prefix":"B","timezone":"Europe/Amsterdam"}`)
	return o
}

func (o *office) advance(d time.Duration) { o.now.Add(d.Milliseconds()) }

// get answers a public GET without credentials.
func get(t *testing.T, url string, want int) (string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, want, b)
	}
	return string(b), resp.Header
}

func (o *office) queue(t *testing.T) (frontdesk.QueueView, string) {
	t.Helper()
	body, _ := get(t, fmt.Sprintf("%s/api/v1/desk/%d/queue", o.URL, o.ch.ID), http.StatusOK)
	var q frontdesk.QueueView
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		t.Fatalf("queue %s: %v", body, err)
	}
	return q, body
}

// personal is everything the test's visitors told the receptionist.
var personal = []string{"Marieke", "Jansen", "612345678", "marieke@example.nl", "parking permit", "Piet", "address change"}

func noPersonalData(t *testing.T, where, body string) {
	t.Helper()
	for _, p := range personal {
		if strings.Contains(strings.ToLower(body), strings.ToLower(p)) {
			t.Fatalf("%s shows %q: %s", where, p, body)
		}
	}
}

func TestDisplay_ShowsNumbersAndCountersLiveWithoutPersonalData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := startOffice(t, st)
		var first, second struct {
			ID    int64  `json:"id"`
			Label string `json:"label"`
		}
		o.Do("POST", "/api/v1/visits", fmt.Sprintf(`{"channel_id":%d,"name":"Marieke Jansen","phone":"+31612345678","email":"marieke@example.nl","topic":"parking permit"}`, o.ch.ID), 201, &first)
		o.Do("POST", "/api/v1/visits", fmt.Sprintf(`{"channel_id":%d,"name":"Piet","topic":"address change"}`, o.ch.ID), 201, &second)
		if first.Label != "B001" || second.Label != "B002" {
			t.Fatalf("numbers %s and %s, want B001 and B002", first.Label, second.Label)
		}

		q, body := o.queue(t)
		noPersonalData(t, "the queue", body)
		if fmt.Sprint(q.Waiting) != "[B001 B002]" || len(q.Serving) != 0 || q.ExpectedWaitMs != (14*time.Minute).Milliseconds() {
			t.Fatalf("queue %s", body)
		}
		page, header := get(t, fmt.Sprintf("%s/desk/%d/display", o.display.URL, o.ch.ID), http.StatusOK)
		noPersonalData(t, "the display", page)
		if !strings.Contains(page, "B001") || !strings.Contains(page, "about 14 min") || !strings.Contains(header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Fatalf("display page: %s", page)
		}

		o.Do("POST", "/api/v1/visits/next", fmt.Sprintf(`{"channel_id":%d,"counter":"Desk 3"}`, o.ch.ID), 200, nil)
		// One answer serves every display for a second.
		if q, _ = o.queue(t); len(q.Serving) != 0 {
			t.Fatalf("the queue was computed again within its second: %+v", q)
		}
		o.advance(time.Second)
		q, body = o.queue(t)
		noPersonalData(t, "the queue", body)
		if len(q.Serving) != 1 || q.Serving[0].Number != "B001" || q.Serving[0].Counter != "Desk 3" || fmt.Sprint(q.Waiting) != "[B002]" {
			t.Fatalf("after the call: %s", body)
		}
		page, _ = get(t, fmt.Sprintf("%s/desk/%d/display", o.display.URL, o.ch.ID), http.StatusOK)
		if !strings.Contains(page, "Desk 3") {
			t.Fatalf("display after the call: %s", page)
		}
		noPersonalData(t, "the display", page)
	})
}

func TestQueue_RefusesOtherChannelsAndBadInputWithACode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := startOffice(t, st)
		empty := o.CreateChannel(frontdesk.Kind, `{}`)
		tests := []struct {
			name, method, path, body string
			want                     int
			code                     string
		}{
			{"unknown queue", "GET", "/api/v1/desk/99999/queue", "", 404, "not_found"},
			{"check-in without a visitor", "POST", "/api/v1/visits", fmt.Sprintf(`{"channel_id":%d}`, o.ch.ID), 422, "unknown_visitor"},
			{"check-in at no channel", "POST", "/api/v1/visits", `{"channel_id":0,"name":"Piet"}`, 422, "unknown_channel"},
			{"check-in with an unknown field", "POST", "/api/v1/visits", fmt.Sprintf(`{"channel_id":%d,"nam":"Piet"}`, o.ch.ID), 400, "invalid_json"},
			{"queue without a channel", "GET", "/api/v1/visits", "", 400, "invalid_query"},
			{"call without a counter", "POST", "/api/v1/visits/next", fmt.Sprintf(`{"channel_id":%d}`, o.ch.ID), 422, "invalid_counter"},
			{"finish an unknown visit", "POST", "/api/v1/visits/424242/done", `{}`, 404, "not_found"},
			{"settings with a typo", "POST", "/api/v1/channels", fmt.Sprintf(`{"kind":"desk","name":"X","team_id":%d,"settings":{"prefx":"A"}}`, o.Team), 422, "invalid_settings"},
			{"a bad time zone", "POST", "/api/v1/channels", fmt.Sprintf(`{"kind":"desk","name":"X","team_id":%d,"settings":{"timezone":"Mars/Olympus"}}`, o.Team), 422, "invalid_settings"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var e struct {
					Error struct{ Code string } `json:"error"`
				}
				o.Do(tt.method, tt.path, tt.body, tt.want, &e)
				if e.Error.Code != tt.code {
					t.Fatalf("code %q, want %q", e.Error.Code, tt.code)
				}
			})
		}
		o.Do("POST", "/api/v1/visits/next", fmt.Sprintf(`{"channel_id":%d,"counter":"Desk 1"}`, empty.ID), 204, nil)
		get(t, fmt.Sprintf("%s/desk/99999/display", o.display.URL), http.StatusNotFound)
		get(t, fmt.Sprintf("%s/desk/abc/display", o.display.URL), http.StatusNotFound)
	})
}
