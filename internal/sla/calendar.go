package sla

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"
)

// CalendarConfig is the stored, JSON-friendly form of a Calendar. Decode it
// from JSON and pass it to NewCalendar, which validates it:
//
//	{
//	  "time_zone": "Europe/Amsterdam",
//	  "hours": {
//	    "mon": [{"start": "08:30", "end": "12:00"}, {"start": "13:00", "end": "17:30"}],
//	    "sat": [{"start": "10:00", "end": "24:00"}]
//	  },
//	  "holidays": [
//	    {"date": "2025-04-18", "name": "Good Friday"},
//	    {"date": "2000-12-25", "yearly": true, "name": "Christmas"}
//	  ]
//	}
type CalendarConfig struct {
	// TimeZone is an IANA zone name such as "Europe/Amsterdam" or "UTC".
	// Opening hours and holidays are read on that zone's wall clock.
	TimeZone string `json:"time_zone"`
	// Hours maps a lowercase weekday ("mon", "tue", "wed", "thu", "fri",
	// "sat", "sun") to that day's opening ranges. Days not listed are closed.
	Hours map[string][]Range `json:"hours"`
	// Holidays are whole local days on which the calendar is closed.
	Holidays []Holiday `json:"holidays,omitempty"`
}

// Range is one opening period within a day, as "HH:MM" wall-clock times.
// Start is inclusive and End exclusive; End may be "24:00" for a period that
// runs to midnight. A period that continues past midnight is written as two
// ranges, one ending at "24:00" and one starting at "00:00" the next day.
type Range struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Holiday closes one whole local day.
type Holiday struct {
	// Date is "YYYY-MM-DD". For a yearly holiday the year is ignored, so
	// "2000-12-25" closes every 25 December and "2000-02-29" closes 29
	// February in leap years only.
	Date   string `json:"date"`
	Yearly bool   `json:"yearly,omitempty"`
	Name   string `json:"name,omitempty"`
}

// Calendar tells when a team is at work, so that SLA clocks only run during
// business hours. It is immutable and safe for concurrent use.
//
// The calendar is open at an instant when that instant's local date (in the
// calendar's zone) is not a holiday and its local wall-clock time falls in
// one of the weekday's ranges. Daylight-saving changes therefore follow the
// wall clock: on the day clocks go forward an 00:00-24:00 range lasts 23
// hours and a range lying entirely in the skipped hour never opens; on the
// day clocks go back it lasts 25 hours and the repeated hour counts twice.
//
// A nil or zero Calendar is always open, as is AlwaysOpen().
//
// Searches are bounded: methods that look for the next opening or closing
// give up after about four years without one and return the zero
// time.Time. NewCalendar rejects calendars with no opening hours at all, so
// this only happens when holidays close every open day for that long, or,
// for NextClose, when the calendar is open around the clock.
type Calendar struct {
	loc      *time.Location
	hours    [7][]clockRange // indexed by time.Weekday; sorted, disjoint, not touching
	holidays map[int64]bool  // days since the Unix epoch
	yearly   map[monthDay]bool
	// limited is false for calendars that never close (including the zero
	// value), which take a fast path.
	limited bool
}

// clockRange is an opening period in seconds after local midnight, [start, end).
type clockRange struct{ start, end int64 }

type monthDay struct {
	month time.Month
	day   int
}

// span is a period during which the calendar is open, in Unix seconds, [start, end).
type span struct{ start, end int64 }

const (
	secondsPerDay = 24 * 60 * 60
	// horizon bounds how far ahead the calendar looks for an opening (or
	// for a closing in NextClose), in seconds.
	horizon = 4 * 366 * secondsPerDay
)

// weekdayKeys are the keys of CalendarConfig.Hours, indexed by time.Weekday.
var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// AlwaysOpen returns a calendar that is open around the clock, every day of
// the year: business time is wall time.
func AlwaysOpen() *Calendar { return &Calendar{} }

// NewCalendar validates cfg and builds its Calendar. The error lists every
// problem found, each prefixed with the JSON path of the offending field,
// so that an administrator can fix them all at once. A configuration open
// 00:00-24:00 on all seven days without holidays yields a calendar that
// behaves exactly like AlwaysOpen but keeps its zone.
func NewCalendar(cfg CalendarConfig) (*Calendar, error) {
	var errs []error
	c := &Calendar{holidays: map[int64]bool{}, yearly: map[monthDay]bool{}}

	switch cfg.TimeZone {
	case "":
		errs = append(errs, errors.New(`time_zone: required, e.g. "Europe/Amsterdam" or "UTC"`))
	case "Local":
		// "Local" silently depends on the server's configuration.
		errs = append(errs, errors.New(`time_zone: "Local" is not allowed; name the zone, e.g. "Europe/Amsterdam"`))
	default:
		loc, err := time.LoadLocation(cfg.TimeZone)
		if err != nil {
			errs = append(errs, fmt.Errorf("time_zone: unknown time zone %q", cfg.TimeZone))
		}
		c.loc = loc
	}

	for key := range cfg.Hours {
		if !slices.Contains(weekdayKeys[:], key) {
			errs = append(errs, fmt.Errorf("hours: unknown weekday %q; use mon, tue, wed, thu, fri, sat or sun", key))
		}
	}
	configured := 0
	for wd, key := range weekdayKeys {
		ranges, err := parseDay(key, cfg.Hours[key])
		if err != nil {
			errs = append(errs, err)
		}
		c.hours[wd] = ranges
		configured += len(cfg.Hours[key])
	}
	if configured == 0 {
		errs = append(errs, errors.New("hours: the calendar is never open; add opening hours to at least one weekday"))
	}

	for i, h := range cfg.Holidays {
		d, err := time.Parse(time.DateOnly, h.Date)
		if err != nil {
			errs = append(errs, fmt.Errorf("holidays[%d]: date %q is not a valid YYYY-MM-DD date", i, h.Date))
			continue
		}
		if h.Yearly {
			c.yearly[monthDay{d.Month(), d.Day()}] = true
		} else {
			c.holidays[d.Unix()/secondsPerDay] = true
		}
	}

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.limited = len(c.holidays) > 0 || len(c.yearly) > 0
	for _, ranges := range c.hours {
		if len(ranges) != 1 || ranges[0] != (clockRange{0, secondsPerDay}) {
			c.limited = true
		}
	}
	return c, nil
}

// parseDay parses, sorts and checks one weekday's ranges, merging ranges
// that touch (12:00-13:00 and 13:00-14:00) into one.
func parseDay(key string, ranges []Range) ([]clockRange, error) {
	var errs []error
	var out []clockRange
	for i, r := range ranges {
		start, err1 := parseClock(r.Start, false)
		end, err2 := parseClock(r.End, true)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("hours.%s[%d]: %w", key, i, err))
			continue
		}
		if end <= start {
			errs = append(errs, fmt.Errorf("hours.%s[%d]: end %s is not after start %s", key, i, r.End, r.Start))
			continue
		}
		out = append(out, clockRange{start, end})
	}
	slices.SortFunc(out, func(a, b clockRange) int { return cmp.Compare(a.start, b.start) })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && r.start <= merged[n-1].end {
			if r.start < merged[n-1].end {
				errs = append(errs, fmt.Errorf("hours.%s: %s-%s overlaps %s-%s", key,
					formatClock(merged[n-1].start), formatClock(merged[n-1].end), formatClock(r.start), formatClock(r.end)))
			}
			merged[n-1].end = max(merged[n-1].end, r.end)
			continue
		}
		merged = append(merged, r)
	}
	return merged, errors.Join(errs...)
}

// parseClock parses "HH:MM" into seconds after midnight; "24:00" is
// accepted only when allow24 is set (for the end of a range).
func parseClock(s string, allow24 bool) (int64, error) {
	isDigit := func(b byte) bool { return '0' <= b && b <= '9' }
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	h := int64(s[0]-'0')*10 + int64(s[1]-'0')
	m := int64(s[3]-'0')*10 + int64(s[4]-'0')
	switch {
	case h == 24 && m == 0 && allow24:
		return secondsPerDay, nil
	case h == 24 && m == 0:
		return 0, fmt.Errorf("time %q may only end a range; start at 00:00 instead", s)
	case h > 23 || m > 59:
		return 0, fmt.Errorf("time %q is out of range 00:00-24:00", s)
	}
	return h*3600 + m*60, nil
}

func formatClock(sec int64) string { return fmt.Sprintf("%02d:%02d", sec/3600, sec%3600/60) }

// Location returns the zone the calendar reads its hours in; UTC for a nil
// or zero calendar.
func (c *Calendar) Location() *time.Location {
	if c == nil || c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// IsOpen reports whether the calendar is open at t.
func (c *Calendar) IsOpen(t time.Time) bool {
	if !c.isLimited() {
		return true
	}
	_, off := t.In(c.loc).Zone()
	wall := t.Unix() + int64(off)
	day := floorDiv(wall, secondsPerDay)
	if c.closedOn(day) {
		return false
	}
	sec := wall - day*secondsPerDay
	for _, r := range c.hours[weekday(day)] {
		if r.start <= sec && sec < r.end {
			return true
		}
	}
	return false
}

// NextOpen returns the first instant at or after t at which the calendar is
// open: t itself when it is open. It returns the zero Time if the calendar
// stays closed for the whole search horizon (see Calendar). Results are in
// t's location.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	if !c.isLimited() {
		return t
	}
	for sp := range c.spans(t, horizon) {
		return later(instant(sp.start), t).In(t.Location())
	}
	return time.Time{}
}

// NextClose returns the first instant at or after t at which the calendar is
// closed: t itself when it is closed, otherwise the end of the current
// opening period, however many midnights that period spans. It returns the
// zero Time if the calendar stays open for the whole search horizon, which
// is always the case for AlwaysOpen. Results are in t's location.
func (c *Calendar) NextClose(t time.Time) time.Time {
	if !c.isLimited() {
		return time.Time{}
	}
	var end int64
	started := false
	for sp := range c.spans(t, horizon) {
		switch {
		case !started && instant(sp.start).After(t):
			return t
		case !started:
			end, started = sp.end, true
		case sp.start != end:
			return instant(end).In(t.Location())
		default:
			end = sp.end
		}
		if end-t.Unix() > horizon {
			return time.Time{}
		}
	}
	if !started {
		return t
	}
	return instant(end).In(t.Location())
}

// Add returns the instant at which d of business time has passed since t:
// the SLA deadline for a clock started at t. If the calendar is closed at t
// the clock starts at the next opening, so Add(t, 0) is NextOpen(t); a
// negative d counts as zero. A deadline that uses up an opening period
// exactly falls on its closing time, not on the next opening. It returns
// the zero Time if the search horizon (see Calendar) is exhausted. Results
// are in t's location.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return c.NextOpen(t)
	}
	if !c.isLimited() {
		return t.Add(d)
	}
	for sp := range c.spans(t, horizon) {
		start := later(instant(sp.start), t)
		if avail := instant(sp.end).Sub(start); d > avail {
			d -= avail
			continue
		}
		return start.Add(d).In(t.Location())
	}
	return time.Time{}
}

// Between returns the business time elapsed from a to b: how long the
// calendar is open in [a, b). It is negative when b is before a, so that
// Between(a, b) == -Between(b, a), and it saturates at the extremes of
// time.Duration like time.Time.Sub. Between(t, Add(t, d)) == d for every
// d >= 0 for which Add finds a deadline.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !c.isLimited() {
		return b.Sub(a)
	}
	if b.Before(a) {
		return -c.Between(b, a)
	}
	var total time.Duration
	// Openings after b are irrelevant, so the search need not reach further.
	for sp := range c.spans(a, b.Unix()-a.Unix()+1) {
		start, end := later(instant(sp.start), a), instant(sp.end)
		if !start.Before(b) {
			break
		}
		if end.After(b) {
			end = b
		}
		part := end.Sub(start)
		if total > math.MaxInt64-part {
			return math.MaxInt64
		}
		total += part
	}
	return total
}

func (c *Calendar) isLimited() bool { return c != nil && c.limited }

// spans yields, in order, the periods during which the calendar is open
// that end after t, the first one clipped to start no earlier than t.
// Consecutive spans may touch (at midnight or at a zone transition), but
// never overlap. It stops when it has found nothing for maxQuiet seconds.
//
// It walks the zone's offset periods (between daylight-saving transitions)
// and, within each, the local days: during one offset period the wall clock
// is the instant plus a constant, so each range maps to one interval of
// instants, and each wall-clock range is visited once per offset period in
// which it occurs. That is what makes repeated hours count twice and
// skipped hours not at all.
func (c *Calendar) spans(t time.Time, maxQuiet int64) iter.Seq[span] {
	return func(yield func(span) bool) {
		quietUntil := t.Unix() + maxQuiet
		for from := t.Unix(); ; {
			zoned := time.Unix(from, 0).In(c.loc)
			_, offset := zoned.Zone()
			off := int64(offset)
			until := zoneEnd(zoned)
			for day := floorDiv(from+off, secondsPerDay); ; day++ {
				midnight := day*secondsPerDay - off // the instant this offset puts local midnight at
				if midnight >= until {
					break
				}
				if midnight > quietUntil {
					return
				}
				if c.closedOn(day) {
					continue
				}
				for _, r := range c.hours[weekday(day)] {
					start, end := max(midnight+r.start, from), min(midnight+r.end, until)
					if start >= end {
						continue
					}
					if !yield(span{start, end}) {
						return
					}
					quietUntil = end + maxQuiet
				}
			}
			from = until
		}
	}
}

// zoneEnd returns the Unix second at which the zone period containing t
// ends (the next daylight-saving transition, say), or math.MaxInt64 if it
// never does.
func zoneEnd(t time.Time) int64 {
	_, end := t.ZoneBounds()
	switch {
	case end.IsZero():
		return math.MaxInt64
	case end.After(t):
		return end.Unix()
	}
	// Go issue 81583: for years covered by the zone's POSIX rule rather than
	// by explicit transitions, Go ends periods at UTC new year, but on 31
	// December of a leap year it reports 00:00 UTC that day, before t. The
	// period really lasts until the next UTC midnight.
	return floorDiv(t.Unix(), secondsPerDay)*secondsPerDay + secondsPerDay
}

// closedOn reports whether day (counted from the Unix epoch) is a holiday.
func (c *Calendar) closedOn(day int64) bool {
	if c.holidays[day] {
		return true
	}
	if len(c.yearly) == 0 {
		return false
	}
	_, m, d := time.Unix(day*secondsPerDay, 0).UTC().Date()
	return c.yearly[monthDay{m, d}]
}

// weekday returns the day of the week of day, counted from the Unix epoch
// (a Thursday).
func weekday(day int64) time.Weekday {
	return time.Weekday((day%7 + 7 + int64(time.Thursday)) % 7)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func instant(unix int64) time.Time { return time.Unix(unix, 0) }

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
