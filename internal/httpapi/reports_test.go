package httpapi_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// reportAnswer is the part of every report the tests read.
type reportAnswer struct {
	From     time.Time `json:"from"`
	Previous struct {
		Total struct {
			Tickets int `json:"tickets"`
		} `json:"total"`
	} `json:"previous"`
	PreviousTo time.Time `json:"previous_to"`
	Current    struct {
		Total struct {
			Tickets int `json:"tickets"`
		} `json:"total"`
	} `json:"current"`
}

func TestReports_SupervisorsOnlyWithPreviousPeriodAndCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		supervisor := secret.Token("lkt")
		if err := st.CreateAPIToken(context.Background(), &store.APIToken{Name: "lead", Role: domain.RoleSupervisor}, secret.Hash(supervisor)); err != nil {
			t.Fatal(err)
		}
		e.post(`{"external_id":"r1","from":{"email":"jan@example.nl"},"text":"help"}`, 201)
		e.post(`{"external_id":"r2","from":{"email":"piet@example.nl"},"text":"hello"}`, 201)
		now := time.Now()
		period := fmt.Sprintf("from=%d&to=%d", now.Add(-time.Hour).UnixMilli(), now.Add(time.Hour).UnixMilli())

		for _, name := range []string{"volume", "speed", "sla", "outcome"} {
			path := "/api/v1/reports/" + name + "?" + period
			e.do("GET", path, e.agentToken(), "", 403, nil)
			e.do("GET", path, "", "", 401, nil)
			var a reportAnswer
			e.do("GET", path, supervisor, "", 200, &a)
			if !a.PreviousTo.Equal(a.From) {
				t.Errorf("%s: previous period ends %v, want at from %v", name, a.PreviousTo, a.From)
			}
			e.do("GET", "/api/v1/reports/"+name+"?from=tomorrow", e.token, "", 422, nil)
			e.do("GET", "/api/v1/reports/"+name+"?format=xml", e.token, "", 400, nil)
		}
		var vol, outcome reportAnswer
		e.do("GET", "/api/v1/reports/volume?"+period, supervisor, "", 200, &vol)
		e.do("GET", "/api/v1/reports/outcome?"+period, supervisor, "", 200, &outcome)
		if vol.Current.Total.Tickets != 2 || outcome.Current.Total.Tickets != 2 || vol.Previous.Total.Tickets != 0 {
			t.Fatalf("volume %+v, outcome %+v; want 2 tickets now and none before", vol, outcome)
		}
		// Today's figures count what the outcome report counts from the
		// day's start to the answer's time, whichever day the test runs in.
		var today struct {
			From   time.Time `json:"from"`
			At     time.Time `json:"at"`
			Volume struct {
				Tickets    int `json:"tickets"`
				MessagesIn int `json:"messages_in"`
			} `json:"volume"`
		}
		e.do("GET", "/api/v1/reports/today?tz=Europe/Amsterdam", e.agentToken(), "", 403, nil)
		e.do("GET", "/api/v1/reports/today?tz=Europe/Amsterdam", supervisor, "", 200, &today)
		e.do("GET", fmt.Sprintf("/api/v1/reports/outcome?from=%d&to=%d", today.From.UnixMilli(), today.At.UnixMilli()+1), supervisor, "", 200, &outcome)
		if today.Volume.Tickets != outcome.Current.Total.Tickets || today.Volume.MessagesIn != today.Volume.Tickets {
			t.Fatalf("today %+v, outcome from its start %+v", today, outcome)
		}
		e.do("GET", "/api/v1/reports/today?tz=Mars/Olympus", supervisor, "", 422, nil)
		e.do("GET", fmt.Sprintf("/api/v1/reports/outcome?%s&channel_id=%d", period, e.channel+1), e.token, "", 200, &outcome)
		if outcome.Current.Total.Tickets != 0 {
			t.Fatalf("another channel's outcome counts %d tickets", outcome.Current.Total.Tickets)
		}

		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/reports/outcome?format=csv&tz=Europe/Amsterdam&from=2026-03-01&to=2026-03-07", nil)
		req.Header.Set("Authorization", "Bearer "+supervisor)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			resp.Header.Get("Content-Disposition") != `attachment; filename="loket-outcome-20260301-20260307.csv"` {
			t.Fatalf("CSV answer %d %v", resp.StatusCode, resp.Header)
		}
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0][0] != "period" || rows[0][1] != "dimension" || rows[1][0] != "current" || rows[2][0] != "previous" ||
			len(rows[1]) != len(rows[0]) {
			t.Fatalf("CSV rows %q, want a header and the empty current and previous totals", rows)
		}
	})
}
