package report_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/report"
	"loket.dev/loket/internal/store"
)

func TestNearestRank(t *testing.T) {
	for _, c := range []struct {
		values      []int64
		median, p90 int64
	}{
		{nil, 0, 0},
		{[]int64{7}, 7, 7},
		{[]int64{1, 2}, 1, 2}, // the lower of two is the median
		{[]int64{1, 2, 3}, 2, 3},
		{[]int64{1, 2, 3, 4}, 2, 4},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, 9}, // rank 9 of 10 holds 90%
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6, 10},
		{[]int64{5, 5, 5, 100}, 5, 100},
	} {
		if m, p := report.NearestRank(c.values, 50), report.NearestRank(c.values, 90); m != c.median || p != c.p90 {
			t.Errorf("%v: median %d p90 %d, want %d and %d", c.values, m, p, c.median, c.p90)
		}
	}
}

func TestSummarize_SortsAndAverages(t *testing.T) {
	got := report.Summarize([]int64{40, 10, 30, 20})
	if want := (report.Stats{Count: 4, MedianMs: 20, P90Ms: 40, MeanMs: 25}); got != want {
		t.Fatalf("Summarize %+v, want %+v", got, want)
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		part, whole int
		want        *float64
	}{
		{0, 0, nil},
		{0, 3, ptr(0)},
		{1, 3, ptr(33.3)},
		{2, 3, ptr(66.7)},
		{1, 8, ptr(12.5)},
		{4, 5, ptr(80)},
	} {
		got := report.Percent(c.part, c.whole)
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("Percent(%d, %d) = %v, want %v", c.part, c.whole, got, c.want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	now := time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC)
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	for _, c := range []struct {
		query    string
		from, to int64
		code     string
	}{
		{"", ms(now.Add(-7 * 24 * time.Hour)), ms(now), ""},
		{"from=2026-03-01&to=2026-03-01", ms(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), ms(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)), ""},
		// Dates are read in tz; the last day of March in Amsterdam is in summer time.
		{"from=2026-03-29&to=2026-03-29&tz=Europe/Amsterdam", ms(time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)), ms(time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC)), ""},
		{"from=2026-03-01T10:00:00%2B01:00&to=1772366400000", ms(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)), 1772366400000, ""},
		{"to=2026-03-01", ms(time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC)), ms(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)), ""},
		{"from=yesterday", 0, 0, "invalid_from"},
		{"to=-5", 0, 0, "invalid_to"},
		{"from=2026-03-02&to=2026-03-01", 0, 0, "invalid_period"},
		{"from=2025-01-01&to=2026-03-01", 0, 0, "period_too_long"},
		{"tz=Mars/Olympus", 0, 0, "invalid_tz"},
		{"tz=Local", 0, 0, "invalid_tz"},
		{"interval=month", 0, 0, "invalid_interval"},
		{"agent_id=x", 0, 0, "invalid_agent_id"},
		{"channel_id=0", 0, 0, "invalid_channel_id"},
	} {
		v, _ := url.ParseQuery(c.query)
		q, err := report.ParseQuery(v, now)
		var de *domain.Error
		switch {
		case c.code != "":
			if !errors.As(err, &de) || de.Code != c.code {
				t.Errorf("%q: error %v, want %s", c.query, err, c.code)
			}
		case err != nil:
			t.Errorf("%q: %v", c.query, err)
		case q.From != c.from || q.To != c.to:
			t.Errorf("%q: [%d, %d), want [%d, %d)", c.query, q.From, q.To, c.from, c.to)
		}
	}
}

func TestParseQuery_FiltersAndPreviousPeriod(t *testing.T) {
	v, _ := url.ParseQuery("from=1000000&to=1600000&channel_id=3&team_id=4&agent_id=5&tag=%20VIP%20&interval=week")
	q, err := report.ParseQuery(v, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := store.ReportFilter{From: 1000000, To: 1600000, ChannelID: 3, TeamID: 4, AgentID: 5, Tag: "vip"}
	if q.ReportFilter != want || !q.Week {
		t.Fatalf("filter %+v week %v, want %+v weekly", q.ReportFilter, q.Week, want)
	}
	p := q.Previous()
	want.From, want.To = 400000, 1000000
	if p.ReportFilter != want {
		t.Fatalf("previous %+v, want %+v", p.ReportFilter, want)
	}
}

// quarter is the VolumeCount of the quarter hour starting at t.
func quarter(t time.Time, tickets, in int64) store.VolumeCount {
	return store.VolumeCount{At: t.UnixMilli(), ChannelID: 1, Tickets: tickets, In: in}
}

func TestComputeVolume_BucketsLocalHoursAcrossDST(t *testing.T) {
	utc := func(day, h, m int) time.Time { return time.Date(2026, 10, day, h, m, 0, 0, time.UTC) }
	// Sunday 25 October 2026: at 03:00 CEST clocks go back to 02:00 CET,
	// so 00:00Z and 01:00Z are both 02:xx in Amsterdam.
	counts := []store.VolumeCount{
		quarter(utc(24, 23, 45), 1, 0), // 01:45 CEST Sunday
		quarter(utc(25, 0, 15), 1, 1),  // 02:15 CEST
		quarter(utc(25, 1, 15), 0, 1),  // 02:15 CET
		quarter(utc(25, 22, 45), 1, 0), // 23:45 CET Sunday
		quarter(utc(25, 23, 0), 1, 0),  // 00:00 CET Monday
	}
	for _, c := range []struct {
		tz    string
		cells map[[2]int]report.Counts // weekday, hour
		days  map[string]int64         // tickets per day
	}{
		{"Europe/Amsterdam",
			map[[2]int]report.Counts{{7, 1}: {Tickets: 1}, {7, 2}: {Tickets: 1, MessagesIn: 2}, {7, 23}: {Tickets: 1}, {1, 0}: {Tickets: 1}},
			map[string]int64{"2026-10-24": 0, "2026-10-25": 3, "2026-10-26": 1}},
		{"UTC",
			map[[2]int]report.Counts{{6, 23}: {Tickets: 1}, {7, 0}: {Tickets: 1, MessagesIn: 1}, {7, 1}: {MessagesIn: 1}, {7, 22}: {Tickets: 1}, {7, 23}: {Tickets: 1}},
			map[string]int64{"2026-10-24": 1, "2026-10-25": 3, "2026-10-26": 0}},
		{"Asia/Kathmandu", // +05:45: a quarter hour off the hour
			map[[2]int]report.Counts{{7, 5}: {Tickets: 1}, {7, 6}: {Tickets: 1, MessagesIn: 1}, {7, 7}: {MessagesIn: 1}, {1, 4}: {Tickets: 2}},
			map[string]int64{"2026-10-24": 0, "2026-10-25": 2, "2026-10-26": 2}},
	} {
		loc := mustLoad(c.tz)
		q := report.Query{Loc: loc, ReportFilter: store.ReportFilter{
			From: time.Date(2026, 10, 24, 12, 0, 0, 0, loc).UnixMilli(), To: time.Date(2026, 10, 26, 12, 0, 0, 0, loc).UnixMilli()}}
		v := report.ComputeVolume(counts, q)
		got := map[[2]int]report.Counts{}
		for _, h := range v.Heatmap {
			if h.Counts != (report.Counts{}) {
				got[[2]int{h.Weekday, h.Hour}] = h.Counts
			}
		}
		if !reflect.DeepEqual(got, c.cells) {
			t.Errorf("%s: heat map %v, want %v", c.tz, got, c.cells)
		}
		days := map[string]int64{}
		for _, p := range v.Series {
			days[p.Start] = p.Tickets
		}
		if !reflect.DeepEqual(days, c.days) {
			t.Errorf("%s: days %v, want %v", c.tz, days, c.days)
		}
	}
}

func TestComputeVolume_WeeksStartOnMonday(t *testing.T) {
	q := report.Query{Loc: time.UTC, Week: true, ReportFilter: store.ReportFilter{
		From: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC).UnixMilli(), To: time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC).UnixMilli()}}
	counts := []store.VolumeCount{
		quarter(time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC), 2, 0),  // Sunday: week of the 2nd
		quarter(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC), 3, 0),  // Monday: week of the 9th
		quarter(time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC), 4, 0), // week of the 16th
	}
	var got []string
	for _, p := range report.ComputeVolume(counts, q).Series {
		got = append(got, p.Start+"="+strconv.FormatInt(p.Tickets, 10))
	}
	if want := []string{"2026-03-02=2", "2026-03-09=3", "2026-03-16=4"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("weeks %v, want %v", got, want)
	}
}

func TestWriteCSV_OneRowPerGroupAndPeriod(t *testing.T) {
	facts := []store.TicketFact{
		{ID: 1, Number: 10001, ChannelID: 1, AgentID: 7, CreatedAt: 0, FirstCustomerAt: 1, FirstResponseAt: 61, SolvedAt: 100, SLAPolicy: "P"},
		{ID: 2, Number: 10002, ChannelID: 2, CreatedAt: 0, SLAPolicy: "P", SLABreaches: 4},
	}
	r := &report.Report[*report.SLA]{Current: report.ComputeSLA(facts), Previous: report.ComputeSLA(nil)}
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"period", "dimension", "key", "met", "breached", "pending", "attainment_pct", "first_response_breached", "next_response_breached", "resolution_breached", "breached_tickets"},
		{"current", "all", "", "1", "1", "0", "50.0", "0", "0", "1", "10002"},
		{"current", "policy", "P", "1", "1", "0", "50.0", "0", "0", "1", ""},
		{"current", "channel", "1", "1", "0", "0", "100.0", "0", "0", "0", ""},
		{"current", "channel", "2", "0", "1", "0", "0.0", "0", "0", "1", ""},
		{"previous", "all", "", "0", "0", "0", "", "0", "0", "0", ""},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("CSV\n got %q\nwant %q", rows, want)
	}
}
