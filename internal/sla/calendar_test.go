package sla

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zoneinfo
)

// ts parses an RFC 3339 instant; the explicit offset makes times inside a
// repeated daylight-saving hour unambiguous.
func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustCalendar(tb testing.TB, cfg CalendarConfig) *Calendar {
	tb.Helper()
	c, err := NewCalendar(cfg)
	if err != nil {
		tb.Fatalf("NewCalendar: %v", err)
	}
	return c
}

func days(r []Range, keys ...string) map[string][]Range {
	m := map[string][]Range{}
	for _, k := range keys {
		m[k] = r
	}
	return m
}

var (
	officeHours = []Range{{"08:30", "12:00"}, {"13:00", "17:30"}}
	wholeDay    = []Range{{"00:00", "24:00"}}
	weekdays    = []string{"mon", "tue", "wed", "thu", "fri"}
	everyDay    = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
)

// office is a Dutch support desk: weekdays with a lunch break, closed on
// Easter 2025 and every Christmas.
func office(tb testing.TB) *Calendar {
	return mustCalendar(tb, CalendarConfig{
		TimeZone: "Europe/Amsterdam",
		Hours:    days(officeHours, weekdays...),
		Holidays: []Holiday{
			{Date: "2025-04-18", Name: "Good Friday"},
			{Date: "2025-04-21", Name: "Easter Monday"},
			{Date: "2000-12-25", Yearly: true, Name: "Christmas Day"},
			{Date: "2000-12-26", Yearly: true, Name: "Boxing Day"},
		},
	})
}

// roundTheClock is open 24/7 but, because of a long-past holiday, takes the
// general path rather than the AlwaysOpen shortcut.
func roundTheClock(tb testing.TB) *Calendar {
	return mustCalendar(tb, CalendarConfig{
		TimeZone: "Europe/Amsterdam",
		Hours:    days(wholeDay, everyDay...),
		Holidays: []Holiday{{Date: "1999-01-01"}},
	})
}

func sundays(tb testing.TB, r ...Range) *Calendar {
	return mustCalendar(tb, CalendarConfig{TimeZone: "Europe/Amsterdam", Hours: map[string][]Range{"sun": r}})
}

// nightShift works from Friday 22:00 to Saturday 02:00, UTC.
func nightShift(tb testing.TB) *Calendar {
	return mustCalendar(tb, CalendarConfig{TimeZone: "UTC", Hours: map[string][]Range{
		"fri": {{"22:00", "24:00"}},
		"sat": {{"00:00", "02:00"}},
	}})
}

func TestNewCalendar_DecodesJSONConfig(t *testing.T) {
	const raw = `{
		"time_zone": "Europe/Amsterdam",
		"hours": {
			"mon": [{"start": "13:00", "end": "17:30"}, {"start": "08:30", "end": "12:00"}],
			"sat": [{"start": "22:00", "end": "24:00"}]
		},
		"holidays": [{"date": "2000-12-25", "yearly": true, "name": "Christmas Day"}]
	}`
	var cfg CalendarConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	c := mustCalendar(t, cfg)
	if got := c.Location().String(); got != "Europe/Amsterdam" {
		t.Errorf("Location() = %s, want Europe/Amsterdam", got)
	}
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2025-04-14T08:30:00+02:00", true},  // Monday opening, ranges given out of order
		{"2025-04-14T12:30:00+02:00", false}, // lunch
		{"2025-04-19T23:59:59+02:00", true},  // Saturday evening, range ends at 24:00
		{"2025-04-20T00:00:00+02:00", false}, // Sunday
		{"2028-12-25T09:00:00+01:00", false}, // a Monday, but Christmas
	} {
		if got := c.IsOpen(ts(tc.at)); got != tc.want {
			t.Errorf("IsOpen(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestNewCalendar_RejectsInvalidConfigWithFieldPaths(t *testing.T) {
	valid := func() CalendarConfig {
		return CalendarConfig{TimeZone: "UTC", Hours: days(officeHours, "mon")}
	}
	tests := []struct {
		name   string
		modify func(*CalendarConfig)
		want   string
	}{
		{"missing zone", func(c *CalendarConfig) { c.TimeZone = "" }, "time_zone: required"},
		{"unknown zone", func(c *CalendarConfig) { c.TimeZone = "Mars/Olympus_Mons" }, `time_zone: unknown time zone "Mars/Olympus_Mons"`},
		{"server-dependent zone", func(c *CalendarConfig) { c.TimeZone = "Local" }, `"Local" is not allowed`},
		{"unknown weekday", func(c *CalendarConfig) { c.Hours["monday"] = officeHours }, `hours: unknown weekday "monday"`},
		{"malformed time", func(c *CalendarConfig) { c.Hours["tue"] = []Range{{"8:30", "12:00"}} }, `hours.tue[0]: time "8:30" is not HH:MM`},
		{"out-of-range time", func(c *CalendarConfig) { c.Hours["tue"] = []Range{{"08:00", "12:60"}} }, `hours.tue[0]: time "12:60" is out of range`},
		{"range starting at 24:00", func(c *CalendarConfig) { c.Hours["tue"] = []Range{{"24:00", "24:00"}} }, `hours.tue[0]: time "24:00" may only end a range`},
		{"end before start", func(c *CalendarConfig) { c.Hours["wed"] = []Range{{"17:00", "09:00"}} }, "hours.wed[0]: end 09:00 is not after start 17:00"},
		{"empty range", func(c *CalendarConfig) { c.Hours["wed"] = []Range{{"09:00", "09:00"}} }, "hours.wed[0]: end 09:00 is not after start 09:00"},
		{"overlapping ranges", func(c *CalendarConfig) { c.Hours["mon"] = append(c.Hours["mon"], Range{"11:00", "14:00"}) }, "hours.mon: 08:30-12:00 overlaps 11:00-14:00"},
		{"no hours at all", func(c *CalendarConfig) { c.Hours = nil }, "hours: the calendar is never open"},
		{"malformed holiday", func(c *CalendarConfig) { c.Holidays = []Holiday{{Date: "25-12-2025"}} }, `holidays[0]: date "25-12-2025" is not a valid YYYY-MM-DD date`},
		{"impossible holiday", func(c *CalendarConfig) { c.Holidays = []Holiday{{Date: "2025-02-29"}} }, `holidays[0]: date "2025-02-29"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.modify(&cfg)
			c, err := NewCalendar(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewCalendar error = %v, want it to contain %q", err, tc.want)
			}
			if c != nil {
				t.Errorf("NewCalendar returned a calendar alongside the error")
			}
		})
	}
}

func TestNewCalendar_ReportsEveryProblemAtOnce(t *testing.T) {
	_, err := NewCalendar(CalendarConfig{
		TimeZone: "Nowhere/Town",
		Hours:    map[string][]Range{"mon": {{"09:00", "08:00"}}, "fri": {{"9", "17:00"}}},
		Holidays: []Holiday{{Date: "tomorrow"}},
	})
	if err == nil {
		t.Fatal("NewCalendar accepted an invalid config")
	}
	for _, want := range []string{"time_zone:", "hours.mon[0]:", "hours.fri[0]:", "holidays[0]:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestCalendar_NilZeroAndAlwaysOpenCountWallTime(t *testing.T) {
	allWeek := mustCalendar(t, CalendarConfig{TimeZone: "Europe/Amsterdam", Hours: days(wholeDay, everyDay...)})
	from, to := ts("2025-03-29T12:00:00+01:00"), ts("2025-03-31T12:00:00+02:00")
	for name, c := range map[string]*Calendar{
		"nil":                  nil,
		"zero":                 {},
		"AlwaysOpen":           AlwaysOpen(),
		"00:00-24:00 all week": allWeek,
	} {
		t.Run(name, func(t *testing.T) {
			if !c.IsOpen(from) {
				t.Error("IsOpen = false")
			}
			if got := c.NextOpen(from); !got.Equal(from) {
				t.Errorf("NextOpen = %v, want %v", got, from)
			}
			if got := c.NextClose(from); !got.IsZero() {
				t.Errorf("NextClose = %v, want the zero time (never closes)", got)
			}
			if got := c.Add(from, 47*time.Hour); !got.Equal(to) {
				t.Errorf("Add(47h) = %v, want %v", got, to)
			}
			if got := c.Between(from, to); got != 47*time.Hour {
				t.Errorf("Between = %v, want 47h (the spring-forward weekend is an hour short)", got)
			}
		})
	}
	if got := allWeek.Location().String(); got != "Europe/Amsterdam" {
		t.Errorf("24/7 calendar lost its zone: %s", got)
	}
	if got := (*Calendar)(nil).Location(); got != time.UTC {
		t.Errorf("nil calendar Location() = %v, want UTC", got)
	}
}

func TestCalendarIsOpen_FollowsHoursRangeBoundsAndHolidays(t *testing.T) {
	c := office(t)
	tests := []struct {
		name string
		at   string
		want bool
	}{
		{"at opening time", "2025-04-14T08:30:00+02:00", true},
		{"just before opening", "2025-04-14T08:29:59+02:00", false},
		{"last nanosecond before lunch", "2025-04-14T11:59:59.999999999+02:00", true},
		{"at lunch, the end of a range is exclusive", "2025-04-14T12:00:00+02:00", false},
		{"after lunch", "2025-04-14T13:00:00+02:00", true},
		{"Saturday", "2025-04-12T10:00:00+02:00", false},
		{"dated holiday", "2025-04-18T10:00:00+02:00", false},
		{"dated holiday does not recur", "2024-04-18T10:00:00+02:00", true},
		{"yearly holiday", "2025-12-25T10:00:00+01:00", false},
		{"yearly holiday in another year", "2031-12-26T10:00:00+01:00", false},
		{"instant given in another zone", "2025-04-14T06:30:00Z", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.IsOpen(ts(tc.at)); got != tc.want {
				t.Errorf("IsOpen(%s) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestCalendarNextOpen_ReturnsTWhenOpenElseTheNextOpening(t *testing.T) {
	tests := []struct {
		name     string
		cal      *Calendar
		at, want string
	}{
		{"open now", office(t), "2025-04-14T09:15:00+02:00", "2025-04-14T09:15:00+02:00"},
		{"early morning", office(t), "2025-04-14T07:00:00+02:00", "2025-04-14T08:30:00+02:00"},
		{"lunch", office(t), "2025-04-14T12:00:00+02:00", "2025-04-14T13:00:00+02:00"},
		{"Friday evening", office(t), "2025-04-11T17:30:00+02:00", "2025-04-14T08:30:00+02:00"},
		{"Easter weekend", office(t), "2025-04-17T18:00:00+02:00", "2025-04-22T08:30:00+02:00"},
		{"Sunday-only calendar on Monday", sundays(t, wholeDay...), "2025-03-31T00:00:00+02:00", "2025-04-06T00:00:00+02:00"},
		{"night shift starts Friday 22:00", nightShift(t), "2025-04-14T10:00:00Z", "2025-04-18T22:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cal.NextOpen(ts(tc.at)); !got.Equal(ts(tc.want)) {
				t.Errorf("NextOpen(%s) = %s, want %s", tc.at, got.Format(time.RFC3339), tc.want)
			}
		})
	}
}

func TestCalendarNextClose_ReturnsEndOfOpeningPeriodAcrossMidnight(t *testing.T) {
	tests := []struct {
		name     string
		cal      *Calendar
		at, want string
	}{
		{"morning closes for lunch", office(t), "2025-04-14T09:00:00+02:00", "2025-04-14T12:00:00+02:00"},
		{"already closed returns t", office(t), "2025-04-14T12:30:00+02:00", "2025-04-14T12:30:00+02:00"},
		{"at closing time it is closed", office(t), "2025-04-14T17:30:00+02:00", "2025-04-14T17:30:00+02:00"},
		{"night shift runs past midnight", nightShift(t), "2025-04-18T23:00:00Z", "2025-04-19T02:00:00Z"},
		{"Sunday ends at 24:00", sundays(t, wholeDay...), "2025-03-30T10:00:00+02:00", "2025-03-31T00:00:00+02:00"},
		{"24/7 closes for its only holiday", mustCalendar(t, CalendarConfig{
			TimeZone: "Europe/Amsterdam", Hours: days(wholeDay, everyDay...), Holidays: []Holiday{{Date: "2025-12-25"}},
		}), "2025-12-01T10:00:00+01:00", "2025-12-25T00:00:00+01:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cal.NextClose(ts(tc.at)); !got.Equal(ts(tc.want)) {
				t.Errorf("NextClose(%s) = %s, want %s", tc.at, got.Format(time.RFC3339), tc.want)
			}
		})
	}
}

func TestCalendarNextClose_IsZeroWhenOpenBeyondTheHorizon(t *testing.T) {
	if got := roundTheClock(t).NextClose(ts("2025-01-01T00:00:00Z")); !got.IsZero() {
		t.Errorf("NextClose = %v, want the zero time", got)
	}
}

func TestCalendarAdd_SkipsWeekendAndHoliday(t *testing.T) {
	c := office(t)
	tests := []struct {
		name     string
		from     string
		d        time.Duration
		want     string
		weekdays string // for the reader
	}{
		{"within a morning", "2025-04-14T09:00:00+02:00", time.Hour, "2025-04-14T10:00:00+02:00", "Mon"},
		{"over lunch", "2025-04-14T11:30:00+02:00", time.Hour, "2025-04-14T13:30:00+02:00", "Mon"},
		{"exactly to closing time stays on Friday", "2025-04-11T17:00:00+02:00", 30 * time.Minute, "2025-04-11T17:30:00+02:00", "Fri"},
		{"Friday evening to Monday", "2025-04-11T17:00:00+02:00", time.Hour, "2025-04-14T09:00:00+02:00", "Fri→Mon"},
		{"clock starts at Monday opening", "2025-04-12T10:00:00+02:00", time.Hour, "2025-04-14T09:30:00+02:00", "Sat→Mon"},
		{"a working week", "2025-04-07T08:30:00+02:00", 40 * time.Hour, "2025-04-11T17:30:00+02:00", "Mon→Fri"},
		{"over Good Friday and Easter Monday", "2025-04-17T17:00:00+02:00", time.Hour, "2025-04-22T09:00:00+02:00", "Thu→Tue"},
		{"over Christmas 2025", "2025-12-24T17:00:00+01:00", time.Hour, "2025-12-29T09:00:00+01:00", "Wed→Mon"},
		{"over Christmas 2026", "2026-12-24T17:00:00+01:00", time.Hour, "2026-12-28T09:00:00+01:00", "Thu→Mon"},
		{"zero while open is t", "2025-04-14T09:00:00+02:00", 0, "2025-04-14T09:00:00+02:00", "Mon"},
		{"zero while closed is the next opening", "2025-04-12T10:00:00+02:00", 0, "2025-04-14T08:30:00+02:00", "Sat→Mon"},
		{"negative counts as zero", "2025-04-12T10:00:00+02:00", -time.Hour, "2025-04-14T08:30:00+02:00", "Sat→Mon"},
		{"keeps sub-second precision", "2025-04-14T11:59:59.75+02:00", time.Second, "2025-04-14T13:00:00.75+02:00", "Mon"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Add(ts(tc.from), tc.d); !got.Equal(ts(tc.want)) {
				t.Errorf("Add(%s, %v) = %s, want %s (%s)", tc.from, tc.d, got.Format(time.RFC3339Nano), tc.want, tc.weekdays)
			}
		})
	}
}

func TestCalendarAdd_ReturnsResultInLocationOfT(t *testing.T) {
	from := ts("2025-04-14T09:00:00Z")
	if got := office(t).Add(from, time.Hour); got.Location() != time.UTC {
		t.Errorf("Add returned a time in %v, want UTC", got.Location())
	}
}

func TestCalendarBetween_CountsOnlyOpenTime(t *testing.T) {
	c := office(t)
	tests := []struct {
		name     string
		from, to string
		want     time.Duration
	}{
		{"Friday evening to Monday morning", "2025-04-11T17:00:00+02:00", "2025-04-14T09:00:00+02:00", time.Hour},
		{"a whole working day", "2025-04-14T06:00:00+02:00", "2025-04-14T20:00:00+02:00", 8 * time.Hour},
		{"a whole week", "2025-04-07T00:00:00+02:00", "2025-04-14T00:00:00+02:00", 40 * time.Hour},
		{"Good Friday and Easter Monday do not count", "2025-04-14T00:00:00+02:00", "2025-04-22T00:00:00+02:00", 32 * time.Hour},
		{"Christmas week", "2025-12-22T00:00:00+01:00", "2025-12-29T00:00:00+01:00", 24 * time.Hour},
		{"within lunch", "2025-04-14T12:05:00+02:00", "2025-04-14T12:55:00+02:00", 0},
		{"empty interval", "2025-04-14T10:00:00+02:00", "2025-04-14T10:00:00+02:00", 0},
		{"reversed interval is negative", "2025-04-14T09:00:00+02:00", "2025-04-11T17:00:00+02:00", -time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Between(ts(tc.from), ts(tc.to)); got != tc.want {
				t.Errorf("Between(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		})
	}
}

func TestCalendarBetween_SaturatesLikeTimeSub(t *testing.T) {
	from, to := ts("1700-01-01T00:00:00Z"), ts("2300-01-01T00:00:00Z")
	c := roundTheClock(t)
	if got := c.Between(from, to); got != math.MaxInt64 {
		t.Errorf("Between over 600 years = %v, want the largest Duration", got)
	}
	if got := c.Between(to, from); got != -math.MaxInt64 {
		t.Errorf("Between over 600 years backwards = %v, want minus the largest Duration", got)
	}
}

// In Europe/Amsterdam clocks go from 02:00 to 03:00 on 30 March 2025 and
// from 03:00 back to 02:00 on 26 October 2025. Opening hours follow the wall
// clock, so business time follows real elapsed time within them.
func TestCalendar_FollowsTheWallClockAcrossDaylightSaving(t *testing.T) {
	const (
		springSat = "2025-03-29T12:00:00+01:00"
		springMon = "2025-03-31T12:00:00+02:00"
		autumnSat = "2025-10-25T12:00:00+02:00"
		autumnMon = "2025-10-27T12:00:00+01:00"
	)
	between := []struct {
		name     string
		cal      *Calendar
		from, to string
		want     time.Duration
	}{
		{"24/7 spring weekend is an hour short", roundTheClock(t), springSat, springMon, 47 * time.Hour},
		{"24/7 autumn weekend is an hour long", roundTheClock(t), autumnSat, autumnMon, 49 * time.Hour},
		{"Sunday 00:00-24:00 lasts 23h in spring", sundays(t, wholeDay...), springSat, springMon, 23 * time.Hour},
		{"Sunday 00:00-24:00 lasts 25h in autumn", sundays(t, wholeDay...), autumnSat, autumnMon, 25 * time.Hour},
		{"a range inside the skipped hour never opens", sundays(t, Range{"02:00", "03:00"}), springSat, springMon, 0},
		{"a range inside the repeated hour opens twice", sundays(t, Range{"02:00", "03:00"}), autumnSat, autumnMon, 2 * time.Hour},
		{"01:00-03:00 lasts 1h in spring", sundays(t, Range{"01:00", "03:00"}), springSat, springMon, time.Hour},
		{"01:00-03:00 lasts 3h in autumn", sundays(t, Range{"01:00", "03:00"}), autumnSat, autumnMon, 3 * time.Hour},
	}
	for _, tc := range between {
		t.Run("Between/"+tc.name, func(t *testing.T) {
			if got := tc.cal.Between(ts(tc.from), ts(tc.to)); got != tc.want {
				t.Errorf("Between(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		})
	}

	add := []struct {
		name string
		cal  *Calendar
		from string
		d    time.Duration
		want string
	}{
		{"24/7 jumps the skipped hour", roundTheClock(t), "2025-03-30T01:30:00+01:00", time.Hour, "2025-03-30T03:30:00+02:00"},
		{"24/7 lives the repeated hour twice", roundTheClock(t), "2025-10-26T02:30:00+02:00", time.Hour, "2025-10-26T02:30:00+01:00"},
		{"Sunday 2h after midnight in spring is 03:00", sundays(t, wholeDay...), "2025-03-30T00:00:00+01:00", 2 * time.Hour, "2025-03-30T03:00:00+02:00"},
		{"Sunday 2h after midnight in autumn is the first 02:00", sundays(t, wholeDay...), "2025-10-26T00:00:00+02:00", 2 * time.Hour, "2025-10-26T02:00:00+02:00"},
		{"Sunday 3h after midnight in autumn is the second 02:00", sundays(t, wholeDay...), "2025-10-26T00:00:00+02:00", 3 * time.Hour, "2025-10-26T02:00:00+01:00"},
		{"all of a 23h Sunday ends at 24:00", sundays(t, wholeDay...), springSat, 23 * time.Hour, "2025-03-31T00:00:00+02:00"},
		{"all of a 25h Sunday ends at 24:00", sundays(t, wholeDay...), autumnSat, 25 * time.Hour, "2025-10-27T00:00:00+01:00"},
		{"a second more waits a week", sundays(t, wholeDay...), springSat, 23*time.Hour + time.Second, "2025-04-06T00:00:01+02:00"},
		{"01:00-03:00 closes at 03:00 summer time", sundays(t, Range{"01:00", "03:00"}), "2025-03-30T01:30:00+01:00", 30 * time.Minute, "2025-03-30T03:00:00+02:00"},
	}
	for _, tc := range add {
		t.Run("Add/"+tc.name, func(t *testing.T) {
			if got := tc.cal.Add(ts(tc.from), tc.d); !got.Equal(ts(tc.want)) {
				t.Errorf("Add(%s, %v) = %s, want %s", tc.from, tc.d, got.Format(time.RFC3339), tc.want)
			}
		})
	}

	isOpen := []struct {
		name string
		cal  *Calendar
		at   string
		want bool
	}{
		{"first 02:30 in autumn", sundays(t, Range{"02:00", "03:00"}), "2025-10-26T02:30:00+02:00", true},
		{"second 02:30 in autumn", sundays(t, Range{"02:00", "03:00"}), "2025-10-26T02:30:00+01:00", true},
		{"03:00 summer time right after the skipped hour", sundays(t, Range{"02:00", "03:00"}), "2025-03-30T03:00:00+02:00", false},
	}
	for _, tc := range isOpen {
		t.Run("IsOpen/"+tc.name, func(t *testing.T) {
			if got := tc.cal.IsOpen(ts(tc.at)); got != tc.want {
				t.Errorf("IsOpen(%s) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestCalendar_GivesUpWhenHolidaysCloseEveryOpenDay(t *testing.T) {
	cfg := CalendarConfig{TimeZone: "UTC", Hours: days(officeHours, "mon")}
	for d := ts("2000-01-01T00:00:00Z"); d.Year() == 2000; d = d.AddDate(0, 0, 1) {
		cfg.Holidays = append(cfg.Holidays, Holiday{Date: d.Format(time.DateOnly), Yearly: true})
	}
	c := mustCalendar(t, cfg)
	from := ts("2025-04-14T09:00:00Z")
	if got := c.NextOpen(from); !got.IsZero() {
		t.Errorf("NextOpen = %v, want the zero time", got)
	}
	if got := c.Add(from, time.Hour); !got.IsZero() {
		t.Errorf("Add = %v, want the zero time", got)
	}
	if got := c.NextClose(from); !got.Equal(from) {
		t.Errorf("NextClose = %v, want %v (closed now)", got, from)
	}
	if got := c.Between(from, from.AddDate(10, 0, 0)); got != 0 {
		t.Errorf("Between = %v, want 0", got)
	}
}

// propertyCalendars covers the zones with the strangest clocks: Brazil
// used to skip midnight when summer time began, Lebanon repeats 23:00-24:00
// when it ends, Lord Howe Island shifts by half an hour, and Samoa skipped
// 30 December 2011 altogether.
func propertyCalendars(tb testing.TB) []*Calendar {
	tb.Helper()
	cals := []*Calendar{office(tb), roundTheClock(tb), sundays(tb, wholeDay...), sundays(tb, Range{"01:00", "03:00"}), nightShift(tb)}
	mixed := map[string][]Range{
		"mon": {{"00:00", "00:30"}, {"23:30", "24:00"}},
		"tue": wholeDay,
		"fri": officeHours,
		"sat": {{"22:15", "24:00"}},
		"sun": {{"00:00", "01:30"}},
	}
	for _, zone := range []string{"America/Sao_Paulo", "Asia/Beirut", "Australia/Lord_Howe", "Pacific/Apia"} {
		cals = append(cals, mustCalendar(tb, CalendarConfig{TimeZone: zone, Hours: mixed, Holidays: []Holiday{{Date: "2000-01-01", Yearly: true}}}))
	}
	return cals
}

func TestCalendarBetween_MeasuresExactlyWhatAddAdded(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	start := ts("2009-01-01T00:00:00Z")
	for _, c := range propertyCalendars(t) {
		for range 2000 {
			from := start.Add(time.Duration(rng.Int64N(int64(15 * 365 * 24 * time.Hour))))
			d := time.Duration(rng.Int64N(int64(300 * time.Hour)))
			to := c.Add(from, d)
			if got := c.Between(from, to); got != d {
				t.Fatalf("%v: Between(%v, Add(%v, %v) = %v) = %v", c.Location(), from, from, d, to, got)
			}
		}
	}
}

func TestCalendarIsOpen_AgreesWithNextOpenNextCloseAndBetween(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := ts("2009-01-01T00:00:00Z")
	for _, c := range propertyCalendars(t) {
		for range 2000 {
			at := start.Add(time.Duration(rng.Int64N(15*365*24)) * time.Hour).Add(time.Duration(rng.IntN(3600)) * time.Second)
			open := c.IsOpen(at)
			if got := c.Between(at, at.Add(time.Second)) == time.Second; got != open {
				t.Fatalf("%v at %v: IsOpen = %v but Between over the next second = %v", c.Location(), at, open, got)
			}
			if next := c.NextOpen(at); !c.IsOpen(next) || next.Equal(at) != open || (!open && c.IsOpen(next.Add(-time.Second))) {
				t.Fatalf("%v at %v (open %v): NextOpen = %v is not the next opening", c.Location(), at, open, next)
			}
			if next := c.NextClose(at); next.IsZero() {
				if !open {
					t.Fatalf("%v at %v: NextClose = zero time while closed", c.Location(), at)
				}
			} else if c.IsOpen(next) || next.Equal(at) == open || (open && !c.IsOpen(next.Add(-time.Second))) {
				t.Fatalf("%v at %v (open %v): NextClose = %v is not the next closing", c.Location(), at, open, next)
			}
		}
	}
}

func FuzzAddBetween(f *testing.F) {
	cals := propertyCalendars(f)
	start := ts("2000-01-01T00:00:00Z")
	const span = int64(30 * 365 * 24 * time.Hour)
	seed := func(which uint8, from string, d time.Duration) { f.Add(which, int64(ts(from).Sub(start)), int64(d)) }
	seed(0, "2025-04-11T17:00:00+02:00", time.Hour)      // office, Friday evening
	seed(0, "2025-04-12T10:00:00+02:00", 0)              // office, Saturday, zero duration
	seed(1, "2025-03-30T01:30:00+01:00", time.Hour)      // 24/7 over the skipped hour
	seed(2, "2025-10-25T12:00:00+02:00", 25*time.Hour)   // a 25-hour Sunday
	seed(3, "2025-03-30T01:30:00+01:00", 30*time.Minute) // a range cut short by spring-forward
	seed(5, "2018-11-03T23:30:00-03:00", 2*time.Hour)    // São Paulo skipped midnight
	seed(6, "2024-10-26T23:30:00+03:00", time.Hour)      // Beirut repeated 23:00-24:00
	seed(7, "2025-04-06T01:45:00+11:00", time.Hour)      // Lord Howe's half-hour change
	seed(8, "2011-12-29T23:00:00-10:00", 48*time.Hour)   // Samoa skipped a day
	seed(3, "2025-04-13T08:00:00Z", 1999*time.Hour)      // walks past 31 December 2040 (Go issue 81583)
	f.Fuzz(func(t *testing.T, which uint8, offset, d int64) {
		c := cals[int(which)%len(cals)]
		from := start.Add(time.Duration((offset%span + span) % span))
		dur := time.Duration((d%int64(2000*time.Hour) + int64(2000*time.Hour)) % int64(2000*time.Hour))
		to := c.Add(from, dur)
		if to.Before(from) {
			t.Fatalf("Add(%v, %v) = %v is before the start", from, dur, to)
		}
		if got := c.Between(from, to); got != dur {
			t.Fatalf("Between(%v, Add(%v, %v) = %v) = %v", from, from, dur, to, got)
		}
		if dur > 0 && !c.IsOpen(to.Add(-time.Nanosecond)) {
			t.Fatalf("Add(%v, %v) = %v, but the calendar was closed just before", from, dur, to)
		}
	})
}

func BenchmarkCalendarAdd(b *testing.B) {
	c := office(b)
	from := ts("2025-04-11T17:00:00+02:00")
	for b.Loop() {
		c.Add(from, 40*time.Hour) // a working week, spanning a weekend
	}
}

// Around every clock change from 2010 to 2025, in every property calendar,
// Between must agree with a naive minute-by-minute count using IsOpen. All
// ranges and all those changes fall on whole minutes, so the count is exact.
func TestCalendarBetween_MatchesMinuteByMinuteCountAroundEveryClockChange(t *testing.T) {
	for _, c := range propertyCalendars(t) {
		for at := ts("2010-01-01T00:00:00Z"); at.Year() < 2026; {
			_, next := at.In(c.Location()).ZoneBounds()
			if next.IsZero() {
				break
			}
			from, to := next.Add(-50*time.Hour), next.Add(50*time.Hour)
			var want time.Duration
			for m := from; m.Before(to); m = m.Add(time.Minute) {
				if c.IsOpen(m) {
					want += time.Minute
				}
			}
			if got := c.Between(from, to); got != want {
				t.Errorf("%v around %v: Between = %v, minute count = %v", c.Location(), next, got, want)
			}
			at = next
		}
	}
}

// Go's Time.ZoneBounds reports an end before the instant on 31 December of
// leap years beyond a zone's explicit transitions (Go issue 81583); the
// calendar must neither loop forever nor miscount that day.
func TestCalendar_WorksOnLastDayOfLeapYearsFarAhead(t *testing.T) {
	c := roundTheClock(t)
	from, to := ts("2040-12-30T12:00:00+01:00"), ts("2041-01-01T12:00:00+01:00")
	if got := c.Between(from, to); got != 48*time.Hour {
		t.Errorf("24/7 Between over new year 2041 = %v, want 48h", got)
	}
	if got, want := office(t).Add(ts("2040-12-31T17:00:00+01:00"), time.Hour), ts("2041-01-01T09:00:00+01:00"); !got.Equal(want) {
		t.Errorf("office Add over new year 2041 = %v, want %v", got, want)
	}
}

// Some zones change clocks at midnight: São Paulo skipped 00:00-01:00 on
// 4 November 2018 and Beirut repeats Saturday 23:00-24:00 when summer time
// ends, so Saturday evening lasts an hour longer.
func TestCalendar_HandlesClockChangesAtMidnight(t *testing.T) {
	hours := map[string][]Range{"sat": {{"22:00", "24:00"}}, "sun": {{"00:00", "02:00"}}}
	saoPaulo := mustCalendar(t, CalendarConfig{TimeZone: "America/Sao_Paulo", Hours: hours})
	beirut := mustCalendar(t, CalendarConfig{TimeZone: "Asia/Beirut", Hours: hours})
	tests := []struct {
		name     string
		cal      *Calendar
		from, to string
		want     time.Duration
	}{
		{"São Paulo loses Sunday's first hour", saoPaulo, "2018-11-03T12:00:00-03:00", "2018-11-04T12:00:00-02:00", 3 * time.Hour},
		{"Beirut lives Saturday 23:00 twice", beirut, "2024-10-26T12:00:00+03:00", "2024-10-27T12:00:00+02:00", 5 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cal.Between(ts(tc.from), ts(tc.to)); got != tc.want {
				t.Errorf("Between(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		})
	}
	if got, want := saoPaulo.NextClose(ts("2018-11-03T23:00:00-03:00")), ts("2018-11-04T02:00:00-02:00"); !got.Equal(want) {
		t.Errorf("São Paulo NextClose = %v, want %v (Saturday night runs on into Sunday)", got, want)
	}
}
