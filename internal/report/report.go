// Package report computes the service reports supervisors read: volumes,
// speed, SLA attainment and outcomes, per channel, team and agent, for a
// period and the period of the same length before it. The store hands out
// stored facts (tickets' timestamps and counters, message counts per
// quarter hour); everything else here is arithmetic without I/O.
//
// Every report counts the tickets created in the period (a ticket's
// figures belong to the period it came in, whenever it was solved), and
// messages sent or received in it.
package report

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/hours"
	"loket.dev/loket/internal/store"
)

// DefaultPeriod is the period a report covers without from: the last 7 days.
const DefaultPeriod = 7 * 24 * time.Hour

// MaxPeriod bounds a report's period, so that one request cannot scan
// the whole history twice.
const MaxPeriod = 366 * 24 * time.Hour

// Query is a parsed report request.
type Query struct {
	store.ReportFilter
	Loc *time.Location
	// Week makes the volume series weekly (ISO weeks from Monday) instead
	// of daily.
	Week bool
}

// ParseQuery reads from, to (RFC 3339 times, dates in tz, or Unix ms; to
// is exclusive and a date means the end of that day), tz (IANA name,
// default UTC), interval (day or week), channel_id, team_id, agent_id and
// tag. now is the end of the default period.
func ParseQuery(v url.Values, now time.Time) (Query, error) {
	q := Query{Loc: time.UTC}
	if name := v.Get("tz"); name != "" {
		loc, err := time.LoadLocation(name)
		if err != nil || name == "Local" {
			return q, domain.Invalid("invalid_tz", fmt.Sprintf("unknown time zone %q; use an IANA name such as Europe/Amsterdam", name))
		}
		q.Loc = loc
	}
	to, err := parseTime(v.Get("to"), q.Loc, true)
	if err != nil {
		return q, domain.Invalid("invalid_to", err.Error())
	}
	if to == 0 {
		to = now.UnixMilli()
	}
	from, err := parseTime(v.Get("from"), q.Loc, false)
	if err != nil {
		return q, domain.Invalid("invalid_from", err.Error())
	}
	if from == 0 {
		from = to - DefaultPeriod.Milliseconds()
	}
	switch {
	case from >= to:
		return q, domain.Invalid("invalid_period", "from must be before to")
	case to-from > MaxPeriod.Milliseconds():
		return q, domain.Invalid("period_too_long", "a report covers at most 366 days")
	}
	q.From, q.To = from, to
	switch v.Get("interval") {
	case "", "day":
	case "week":
		q.Week = true
	default:
		return q, domain.Invalid("invalid_interval", "interval is day or week")
	}
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"channel_id", &q.ChannelID}, {"team_id", &q.TeamID}, {"agent_id", &q.AgentID}} {
		if s := v.Get(f.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return q, domain.Invalid("invalid_"+f.name, f.name+" must be a positive id")
			}
			*f.dst = n
		}
	}
	q.Tag = strings.ToLower(strings.TrimSpace(v.Get("tag")))
	return q, nil
}

// parseTime reads an instant as Unix ms, RFC 3339 or a date (its start,
// or with end the start of the next day); "" is 0.
func parseTime(s string, loc *time.Location, end bool) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UnixMilli(), nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d.UnixMilli(), nil
	}
	return 0, fmt.Errorf("%q is neither an RFC 3339 time, a date (2006-01-02) nor Unix milliseconds", s)
}

// Previous is the query for the period of the same length just before.
func (q Query) Previous() Query {
	p := q
	p.From, p.To = q.From-(q.To-q.From), q.From
	return p
}

// Table is what a report's figures turn into for CSV: one row per group.
type Table interface {
	Header() []string
	Rows() [][]string
}

// Report is one report's figures for a period and the previous period of
// the same length.
type Report[T Table] struct {
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	PreviousFrom time.Time `json:"previous_from"`
	PreviousTo   time.Time `json:"previous_to"`
	TZ           string    `json:"tz"`
	Current      T         `json:"current"`
	Previous     T         `json:"previous"`
}

// run computes figures for q and its previous period, concurrently.
func run[T Table](ctx context.Context, q Query, compute func(context.Context, Query) (T, error)) (*Report[T], error) {
	p := q.Previous()
	r := &Report[T]{From: msTime(q.From, q.Loc), To: msTime(q.To, q.Loc), PreviousFrom: msTime(p.From, q.Loc),
		PreviousTo: msTime(p.To, q.Loc), TZ: q.Loc.String()}
	// The two periods are independent reads: take them side by side.
	var prevErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Previous, prevErr = compute(ctx, p)
	}()
	var err error
	r.Current, err = compute(ctx, q)
	<-done
	if err != nil {
		return nil, err
	}
	if prevErr != nil {
		return nil, prevErr
	}
	return r, nil
}

// WriteCSV writes the report as CSV: a header, then the rows of the
// current and then of the previous period, each led by its period.
func (r *Report[T]) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(append([]string{"period"}, r.Current.Header()...))
	for _, p := range []struct {
		name string
		t    T
	}{{"current", r.Current}, {"previous", r.Previous}} {
		for _, row := range p.t.Rows() {
			cw.Write(append([]string{p.name}, row...))
		}
	}
	cw.Flush()
	return cw.Error()
}

func msTime(ms int64, loc *time.Location) time.Time { return time.UnixMilli(ms).In(loc) }

// Reports computes reports from a store, with business time by the SLA
// calendars of hours.
type Reports struct {
	Store *store.Store
	Hours *hours.Service
}

// Stats summarises durations: how many, the median and 90th percentile
// (nearest rank) and the mean, in milliseconds.
type Stats struct {
	Count    int   `json:"count"`
	MedianMs int64 `json:"median_ms"`
	P90Ms    int64 `json:"p90_ms"`
	MeanMs   int64 `json:"mean_ms"`
}

// Summarize computes the Stats of values; it sorts values.
func Summarize(values []int64) Stats {
	if len(values) == 0 {
		return Stats{}
	}
	slices.Sort(values)
	var sum int64
	for _, v := range values {
		sum += v
	}
	return Stats{Count: len(values), MedianMs: NearestRank(values, 50), P90Ms: NearestRank(values, 90),
		MeanMs: sum / int64(len(values))}
}

// NearestRank is the p-th percentile (0 < p ≤ 100) of sorted values by the
// nearest-rank method: the smallest value with at least p% of the values
// at or below it, so always one of the values (of two, the median is the
// lower).
func NearestRank(sorted []int64, p int) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

// Percent is part of whole in percent with one decimal, or nil when whole
// is zero (no rate rather than a made-up 0%).
func Percent(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	v := math.Round(float64(part)*1000/float64(whole)) / 10
	return &v
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func pct(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 1, 64)
}

// dims are the dimensions tickets are grouped by, with each ticket's key.
var dims = []struct {
	name string
	key  func(*store.TicketFact) int64
}{
	{"channel", func(t *store.TicketFact) int64 { return t.ChannelID }},
	{"team", func(t *store.TicketFact) int64 { return t.TeamID }},
	{"agent", func(t *store.TicketFact) int64 { return t.AgentID }},
}

// ticketKeys are the dims' keys, for groupBy.
var ticketKeys = [3]func(*store.TicketFact) int64{dims[0].key, dims[1].key, dims[2].key}

// group is what a report adds facts up in: the figures of one channel,
// team or agent, or of all.
type group[F, G any] interface {
	*G
	add(*F)
	finish() G
}

// groupBy adds every fact to the total and to its group in each of the
// three dimensions (channel, team, agent; keys gives a fact's id in
// each), and returns the finished total and each dimension's groups in
// order of id.
func groupBy[F, G any, P group[F, G]](facts []F, keys [3]func(*F) int64, newGroup func(id int64) P) (G, [3][]G) {
	total := newGroup(0)
	var groups [3]map[int64]P
	for d := range groups {
		groups[d] = map[int64]P{}
	}
	for i := range facts {
		f := &facts[i]
		total.add(f)
		for d, key := range keys {
			id := key(f)
			g, ok := groups[d][id]
			if !ok {
				g = newGroup(id)
				groups[d][id] = g
			}
			g.add(f)
		}
	}
	var out [3][]G
	for d := range groups {
		out[d] = []G{}
		for _, id := range sortedKeys(groups[d]) {
			out[d] = append(out[d], groups[d][id].finish())
		}
	}
	return total.finish(), out
}

// sortedKeys returns m's keys in order of id.
func sortedKeys[V any](m map[int64]V) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
