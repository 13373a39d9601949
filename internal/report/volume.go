package report

import (
	"context"
	"fmt"
	"time"

	"loket.dev/loket/internal/store"
)

// Counts are volumes: tickets created, customer messages received and sent.
type Counts struct {
	Tickets     int64 `json:"tickets"`
	MessagesIn  int64 `json:"messages_in"`
	MessagesOut int64 `json:"messages_out"`
}

func (c *Counts) add(v store.VolumeCount) {
	c.Tickets += v.Tickets
	c.MessagesIn += v.In
	c.MessagesOut += v.Out
}

func (c Counts) cells() []string {
	return []string{itoa(c.Tickets), itoa(c.MessagesIn), itoa(c.MessagesOut)}
}

// VolumeGroup is the volume of one channel or team (ID 0: none).
type VolumeGroup struct {
	ID int64 `json:"id"`
	Counts
}

// HeatCell is the volume in one local hour of one weekday (1 Monday … 7
// Sunday) over the period.
type HeatCell struct {
	Weekday int `json:"weekday"`
	Hour    int `json:"hour"`
	Counts
}

// ChannelShare is one channel's part of a day's or week's volume.
type ChannelShare struct {
	ChannelID int64 `json:"channel_id"`
	Counts
	// TicketSharePct is the channel's share of the tickets created.
	TicketSharePct *float64 `json:"ticket_share_pct"`
}

// SeriesPoint is the volume of one local day or week (starting Monday).
type SeriesPoint struct {
	Start string `json:"start"` // its first date
	Counts
	Channels []ChannelShare `json:"channels"`
}

// Volume is the volume report's figures for one period.
type Volume struct {
	Total     Counts        `json:"total"`
	ByChannel []VolumeGroup `json:"by_channel"`
	ByTeam    []VolumeGroup `json:"by_team"`
	// Heatmap has all 168 hours of the week, Monday 0:00 first.
	Heatmap []HeatCell    `json:"heatmap"`
	Series  []SeriesPoint `json:"series"`
}

// Volume reports volumes for q and the previous period.
func (r *Reports) Volume(ctx context.Context, q Query) (*Report[*Volume], error) {
	return run(ctx, q, func(ctx context.Context, q Query) (*Volume, error) {
		counts, err := r.volumeCounts(ctx, q)
		if err != nil {
			return nil, err
		}
		return ComputeVolume(counts, q), nil
	})
}

// volumeCounts counts the whole hours of q's period from the hourly
// rollup and the part hours at its ends from the tickets and messages
// themselves. Counting everything from the tickets and messages gives the
// same figures, only slower; it is needed when the rollup cannot narrow
// (by agent or tag) and when hours are not whole in q.Loc (a zone half an
// hour off UTC), where a local hour or day would split a rollup row.
func (r *Reports) volumeCounts(ctx context.Context, q Query) ([]store.VolumeCount, error) {
	f := q.ReportFilter
	start := (f.From + store.HourMs - 1) / store.HourMs * store.HourMs
	end := f.To / store.HourMs * store.HourMs
	if start >= end || f.AgentID != 0 || f.Tag != "" || !wholeHours(q.Loc, f.From, f.To) {
		return r.Store.VolumeCounts(ctx, f)
	}
	hours := f
	hours.From, hours.To = start, end
	counts, err := r.Store.HourCounts(ctx, hours)
	if err != nil {
		return nil, err
	}
	for _, part := range [][2]int64{{f.From, start}, {end, f.To}} {
		if part[0] == part[1] {
			continue
		}
		edge := f
		edge.From, edge.To = part[0], part[1]
		c, err := r.Store.VolumeCounts(ctx, edge)
		if err != nil {
			return nil, err
		}
		counts = append(counts, c...)
	}
	return counts, nil
}

// wholeHours reports whether loc is a whole number of hours off UTC
// throughout [from, to), so that every UTC hour is one local hour.
func wholeHours(loc *time.Location, from, to int64) bool {
	for t := msTime(from, loc); t.UnixMilli() < to; {
		_, offset := t.Zone()
		if offset%3600 != 0 {
			return false
		}
		_, end := t.ZoneBounds()
		if end.IsZero() {
			return true
		}
		t = end
	}
	return true
}

// ComputeVolume adds up quarter-hour counts into totals per channel and
// team, a heat map of local hours and a daily or weekly series in q.Loc.
func ComputeVolume(counts []store.VolumeCount, q Query) *Volume {
	v := &Volume{Heatmap: make([]HeatCell, 7*24)}
	for i := range v.Heatmap {
		v.Heatmap[i].Weekday, v.Heatmap[i].Hour = i/24+1, i%24
	}
	channels, teams := map[int64]*Counts{}, map[int64]*Counts{}
	type point struct {
		Counts
		channels map[int64]*Counts
	}
	points := map[string]*point{}
	var starts []string
	for d := periodStart(msTime(q.From, q.Loc), q.Week); d.UnixMilli() < q.To; d = nextPeriod(d, q.Week) {
		key := d.Format(time.DateOnly)
		points[key] = &point{channels: map[int64]*Counts{}}
		starts = append(starts, key)
	}
	for _, c := range counts {
		v.Total.add(c)
		get(channels, c.ChannelID).add(c)
		get(teams, c.TeamID).add(c)
		t := msTime(c.At, q.Loc)
		wd := (int(t.Weekday())+6)%7 + 1
		v.Heatmap[(wd-1)*24+t.Hour()].add(c)
		if p := points[periodStart(t, q.Week).Format(time.DateOnly)]; p != nil {
			p.add(c)
			get(p.channels, c.ChannelID).add(c)
		}
	}
	for _, id := range sortedKeys(channels) {
		v.ByChannel = append(v.ByChannel, VolumeGroup{ID: id, Counts: *channels[id]})
	}
	for _, id := range sortedKeys(teams) {
		v.ByTeam = append(v.ByTeam, VolumeGroup{ID: id, Counts: *teams[id]})
	}
	for _, key := range starts {
		p := points[key]
		sp := SeriesPoint{Start: key, Counts: p.Counts, Channels: []ChannelShare{}}
		for _, id := range sortedKeys(p.channels) {
			c := *p.channels[id]
			sp.Channels = append(sp.Channels, ChannelShare{ChannelID: id, Counts: c,
				TicketSharePct: Percent(int(c.Tickets), int(p.Tickets))})
		}
		v.Series = append(v.Series, sp)
	}
	if v.ByChannel == nil {
		v.ByChannel, v.ByTeam = []VolumeGroup{}, []VolumeGroup{}
	}
	return v
}

func get(m map[int64]*Counts, id int64) *Counts {
	c := m[id]
	if c == nil {
		c = &Counts{}
		m[id] = c
	}
	return c
}

// periodStart is the local midnight starting t's day, or its ISO week.
func periodStart(t time.Time, week bool) time.Time {
	y, m, d := t.Date()
	if week {
		d -= (int(t.Weekday()) + 6) % 7
	}
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func nextPeriod(t time.Time, week bool) time.Time {
	if week {
		return t.AddDate(0, 0, 7)
	}
	return t.AddDate(0, 0, 1)
}

// Header implements Table.
func (v *Volume) Header() []string {
	return []string{"dimension", "key", "tickets", "messages_in", "messages_out", "ticket_share_pct"}
}

// Rows implements Table: the total, each channel and team, each day or
// week and each channel in it, and each hour of the heat map.
func (v *Volume) Rows() [][]string {
	row := func(dim, key string, c Counts, share string) []string {
		return append(append([]string{dim, key}, c.cells()...), share)
	}
	rows := [][]string{row("all", "", v.Total, "")}
	for _, g := range v.ByChannel {
		rows = append(rows, row("channel", itoa(g.ID), g.Counts, ""))
	}
	for _, g := range v.ByTeam {
		rows = append(rows, row("team", itoa(g.ID), g.Counts, ""))
	}
	for _, p := range v.Series {
		rows = append(rows, row("period", p.Start, p.Counts, ""))
		for _, c := range p.Channels {
			rows = append(rows, row("period_channel", p.Start+" "+itoa(c.ChannelID), c.Counts, pct(c.TicketSharePct)))
		}
	}
	for _, h := range v.Heatmap {
		rows = append(rows, row("weekday_hour", fmt.Sprintf("%d %02d", h.Weekday, h.Hour), h.Counts, ""))
	}
	return rows
}
