package automation

import (
	"fmt"
	"time"
)

// window is a daily span of allowed sending hours, in minutes after
// midnight; a span that ends before it starts runs past midnight.
type window struct{ from, to int }

// parseHours reads "08:00-21:00".
func parseHours(s string) (window, error) {
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil ||
		h1 < 0 || h1 > 23 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 {
		return window{}, fmt.Errorf("sending hours %q: write them as 08:00-21:00", s)
	}
	w := window{h1*60 + m1, h2*60 + m2}
	if w.from == w.to {
		return window{}, fmt.Errorf("sending hours %q: the span is empty", s)
	}
	return w, nil
}

// next is t when t lies within the window, else the window's next start.
func (w window) next(t time.Time) time.Time {
	mins := t.Hour()*60 + t.Minute()
	in := mins >= w.from && mins < w.to
	if w.from > w.to {
		in = mins >= w.from || mins < w.to
	}
	if in {
		return t
	}
	start := time.Date(t.Year(), t.Month(), t.Day(), w.from/60, w.from%60, 0, 0, t.Location())
	if !start.After(t) {
		start = start.AddDate(0, 0, 1)
	}
	return start
}
