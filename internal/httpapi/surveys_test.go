package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

var surveyLink = regexp.MustCompile(`/survey/([A-Za-z0-9_-]+)`)

func TestSurveyPage_LinkClickRecordsChangesForSevenDaysThenCloses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var now atomic.Int64
		now.Store(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixMilli())
		var d *desk.Desk
		e := newEnv(t, st, func(cfg *httpapi.Config) {
			d = desk.New(desk.Config{Store: st, Blobs: cfg.Blobs, Channels: cfg.Channels, Region: "NL",
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now.Load, SurveyKey: []byte("0123456789abcdef0123456789abcdef")})
			t.Cleanup(d.Close)
			cfg.Desk = d
		})
		path := fmt.Sprintf("/api/v1/channels/%d", e.channel)
		e.do("PATCH", path, e.token, `{"settings":{"survey":{"csat":"yes"}}}`, 422, nil)
		e.do("PATCH", path, e.token, `{"settings":{"survey":{"csat":true,"delay_seconds":0,"colour":"red"}}}`, 422, nil)
		e.do("PATCH", path, e.token, `{"settings":{"survey":{"csat":true,"delay_seconds":0}}}`, 200, nil)

		a := e.post(`{"from":{"email":"anna@example.de"},"text":"Wo ist mein Paket?","language":"de"}`, 201)
		e.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", a.Ticket.ID), e.token, `{"status":"solved"}`, 200, nil)
		if n, err := d.SendDueSurveys(ctx, 10); err != nil || n != 1 {
			t.Fatalf("SendDueSurveys = %d, %v; want 1 sent", n, err)
		}
		msgs, _ := st.Messages(ctx, a.Ticket.ID, 0, 0)
		var sent *domain.Message
		for _, m := range msgs {
			if m.AuthorType == domain.AuthorSystem && m.Direction == domain.DirectionOut {
				sent = m
			}
		}
		if sent == nil || !surveyLink.MatchString(sent.Text) || len(channel.QuickReplies(sent)) != 0 {
			t.Fatalf("the API channel (no buttons) got %+v, want a message with a link", sent)
		}
		link := surveyLink.FindString(sent.Text)

		page := func(method, path string, form url.Values, want int, contains ...string) {
			t.Helper()
			req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%s %s: %d %s, want %d HTML; body %s", method, path, resp.StatusCode, resp.Header.Get("Content-Type"), want, body)
			}
			for _, c := range contains {
				if !strings.Contains(string(body), c) {
					t.Fatalf("%s %s: page lacks %q; body %s", method, path, c, body)
				}
			}
		}
		page("GET", link, nil, 200, `lang="de"`, "Wie zufrieden sind Sie", `value="5"`, `name="viewport"`)
		last := "A"
		if strings.HasSuffix(link, "A") {
			last = "B"
		}
		forged := link[:len(link)-1] + last
		page("GET", forged, nil, 404, "not valid")
		page("GET", "/survey/x", nil, 404)
		page("POST", forged, url.Values{"score": {"1"}}, 404)

		page("POST", link, url.Values{"score": {"2"}}, 200, `value="2" aria-pressed="true"`, `name="comment"`)
		page("POST", link, url.Values{"score": {"9"}}, 422)
		now.Add((6 * 24 * time.Hour).Milliseconds())
		page("POST", link, url.Values{"score": {"4"}}, 200, `value="4" aria-pressed="true"`)
		page("POST", link, url.Values{"comment": {"Schnell, danke"}}, 200, "Schnell, danke", "Kommentar erhalten")
		tk, err := st.Ticket(ctx, a.Ticket.ID)
		if err != nil || tk.CSATScore != 4 || tk.CSATComment != "Schnell, danke" || tk.Status != domain.StatusSolved {
			t.Fatalf("ticket after the page: %+v, %v", tk, err)
		}

		var list struct {
			Surveys []domain.Survey `json:"surveys"`
		}
		e.do("GET", fmt.Sprintf("/api/v1/surveys?kind=csat&channel_id=%d&from=2026-03-01T00:00:00Z", e.channel), e.token, "", 200, &list)
		if len(list.Surveys) != 1 || list.Surveys[0].Score != 4 || list.Surveys[0].Comment != "Schnell, danke" {
			t.Fatalf("answers listed: %+v", list.Surveys)
		}
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/surveys?format=csv&kind=csat", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(rows) != 2 ||
			rows[1][1] != "csat" || rows[1][2] != "4" || rows[1][3] != "Schnell, danke" || rows[1][4] != "2026-03-08T09:00:00Z" {
			t.Fatalf("CSV export %d %v: %q (%v)", resp.StatusCode, resp.Header, rows, err)
		}
		e.do("GET", "/api/v1/surveys?format=xml", e.token, "", 400, nil)
		e.do("GET", "/api/v1/surveys?kind=ces", e.token, "", 400, nil)
		e.do("GET", "/api/v1/surveys?from=2026-04-01T00:00:00Z", e.token, "", 200, &list)
		if len(list.Surveys) != 0 {
			t.Fatalf("answers from April: %+v, want none", list.Surveys)
		}

		now.Add((24 * time.Hour).Milliseconds())
		page("GET", link, nil, 410, "geschlossen")
		page("POST", link, url.Values{"score": {"5"}}, 410)
		if tk, _ := st.Ticket(ctx, a.Ticket.ID); tk.CSATScore != 4 {
			t.Fatalf("a change after 7 days was stored: score %d", tk.CSATScore)
		}
	})
}
