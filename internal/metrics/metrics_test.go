package metrics

import (
	"errors"
	"strings"
	"testing"
)

func TestWrite_TextFormat(t *testing.T) {
	r := New()
	c := r.NewCounter("loket_messages_total", "Messages stored.", "channel", "direction")
	c.Inc("2", "in")
	c.Add(2, "2", "in")
	c.Inc("3", `o"ut`)
	h := r.NewHistogram("loket_http_request_duration_seconds", "Request time.", []float64{0.1, 1}, "route")
	h.Observe(0.05, "GET /x")
	h.Observe(0.5, "GET /x")
	h.Observe(5, "GET /x")
	r.NewGaugeFunc("loket_dead_letters", "Dead letters.", nil, func() ([]Sample, error) { return []Sample{{Value: 4}}, nil })
	r.NewGaugeFunc("loket_broken", "A gauge whose read fails.", nil, func() ([]Sample, error) { return nil, errors.New("db down") })
	var b strings.Builder
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP loket_dead_letters Dead letters.
# TYPE loket_dead_letters gauge
loket_dead_letters 4
# HELP loket_http_request_duration_seconds Request time.
# TYPE loket_http_request_duration_seconds histogram
loket_http_request_duration_seconds_bucket{route="GET /x",le="0.1"} 1
loket_http_request_duration_seconds_bucket{route="GET /x",le="1"} 2
loket_http_request_duration_seconds_bucket{route="GET /x",le="+Inf"} 3
loket_http_request_duration_seconds_sum{route="GET /x"} 5.55
loket_http_request_duration_seconds_count{route="GET /x"} 3
# HELP loket_messages_total Messages stored.
# TYPE loket_messages_total counter
loket_messages_total{channel="2",direction="in"} 3
loket_messages_total{channel="3",direction="o\"ut"} 1
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
