// Package metrics keeps a node's operational figures and writes them in
// Prometheus' text format (version 0.0.4), for GET /metrics: counters and
// histograms the process counts as things happen, and gauges read from the
// database at each scrape. It is a small registry of its own, not a client
// library: Loket exposes a few dozen series and needs no more.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Labels are a series' label values in the order of its family's names.
type Labels []string

// Registry holds metric families.
type Registry struct {
	mu       sync.Mutex
	families []family
}

type family interface {
	name() string
	write(w *bufio.Writer)
}

// New returns an empty registry.
func New() *Registry { return &Registry{} }

func (r *Registry) add(f family) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.families = append(r.families, f)
	sort.Slice(r.families, func(i, j int) bool { return r.families[i].name() < r.families[j].name() })
}

// Write writes every family in the text format.
func (r *Registry) Write(w io.Writer) error {
	r.mu.Lock()
	families := slices.Clone(r.families)
	r.mu.Unlock()
	bw := bufio.NewWriter(w)
	for _, f := range families {
		f.write(bw)
	}
	return bw.Flush()
}

// ContentType is the media type of Write's output.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

func header(w *bufio.Writer, name, help, typ string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, strings.ReplaceAll(help, "\n", " "), name, typ)
}

// series writes name{labels} value.
func series(w *bufio.Writer, name string, names []string, values Labels, extra string, v float64) {
	w.WriteString(name)
	if len(names) > 0 || extra != "" {
		w.WriteByte('{')
		for i, n := range names {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(n + `="` + escape(values[i]) + `"`)
		}
		if extra != "" {
			if len(names) > 0 {
				w.WriteByte(',')
			}
			w.WriteString(extra)
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatFloat(v))
	w.WriteByte('\n')
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Counter is a family of counters that only go up.
type Counter struct {
	n, help string
	labels  []string
	mu      sync.Mutex
	values  map[string]*counterValue
}

type counterValue struct {
	labels Labels
	v      float64
}

// NewCounter registers a counter family with the given label names.
func (r *Registry) NewCounter(name, help string, labels ...string) *Counter {
	c := &Counter{n: name, help: help, labels: labels, values: map[string]*counterValue{}}
	r.add(c)
	return c
}

// Add adds v to the series with the label values.
func (c *Counter) Add(v float64, values ...string) {
	key := strings.Join(values, "\x00")
	c.mu.Lock()
	defer c.mu.Unlock()
	cv, ok := c.values[key]
	if !ok {
		cv = &counterValue{labels: slices.Clone(values)}
		c.values[key] = cv
	}
	cv.v += v
}

// Inc adds one.
func (c *Counter) Inc(values ...string) { c.Add(1, values...) }

func (c *Counter) name() string { return c.n }

func (c *Counter) write(w *bufio.Writer) {
	header(w, c.n, c.help, "counter")
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(c.values)) {
		series(w, c.n, c.labels, c.values[k].labels, "", c.values[k].v)
	}
}

// Histogram is a family of histograms with fixed buckets, such as request
// durations in seconds.
type Histogram struct {
	n, help string
	labels  []string
	buckets []float64
	mu      sync.Mutex
	values  map[string]*histValue
}

type histValue struct {
	labels Labels
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

// DurationBuckets suit request and delivery durations, in seconds.
var DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewHistogram registers a histogram family.
func (r *Registry) NewHistogram(name, help string, buckets []float64, labels ...string) *Histogram {
	h := &Histogram{n: name, help: help, labels: labels, buckets: buckets, values: map[string]*histValue{}}
	r.add(h)
	return h
}

// Observe records one value in the series with the label values.
func (h *Histogram) Observe(v float64, values ...string) {
	key := strings.Join(values, "\x00")
	h.mu.Lock()
	defer h.mu.Unlock()
	hv, ok := h.values[key]
	if !ok {
		hv = &histValue{labels: slices.Clone(values), counts: make([]uint64, len(h.buckets))}
		h.values[key] = hv
	}
	if i := sort.SearchFloat64s(h.buckets, v); i < len(h.buckets) {
		hv.counts[i]++
	}
	hv.sum += v
	hv.count++
}

// ObserveSince records the seconds since start.
func (h *Histogram) ObserveSince(start time.Time, values ...string) {
	h.Observe(time.Since(start).Seconds(), values...)
}

func (h *Histogram) name() string { return h.n }

func (h *Histogram) write(w *bufio.Writer) {
	header(w, h.n, h.help, "histogram")
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(h.values)) {
		hv := h.values[k]
		var cum uint64
		for i, b := range h.buckets {
			cum += hv.counts[i]
			series(w, h.n+"_bucket", h.labels, hv.labels, `le="`+formatFloat(b)+`"`, float64(cum))
		}
		series(w, h.n+"_bucket", h.labels, hv.labels, `le="+Inf"`, float64(hv.count))
		series(w, h.n+"_sum", h.labels, hv.labels, "", hv.sum)
		series(w, h.n+"_count", h.labels, hv.labels, "", float64(hv.count))
	}
}

// Sample is one gauge series read at scrape time.
type Sample struct {
	Labels Labels
	Value  float64
}

// GaugeFunc is a gauge family whose series are read when scraped, such as
// the outbox's depth from the database. A read that fails writes no series.
type GaugeFunc struct {
	n, help string
	labels  []string
	read    func() ([]Sample, error)
}

// NewGaugeFunc registers a gauge family read by read at each scrape.
func (r *Registry) NewGaugeFunc(name, help string, labels []string, read func() ([]Sample, error)) {
	r.add(&GaugeFunc{n: name, help: help, labels: labels, read: read})
}

func (g *GaugeFunc) name() string { return g.n }

func (g *GaugeFunc) write(w *bufio.Writer) {
	samples, err := g.read()
	if err != nil {
		return
	}
	header(w, g.n, g.help, "gauge")
	for _, s := range samples {
		series(w, g.n, g.labels, s.Labels, "", s.Value)
	}
}

// RegisterRuntime adds the Go runtime's goroutine count and heap size.
func (r *Registry) RegisterRuntime() {
	r.NewGaugeFunc("go_goroutines", "Goroutines that currently exist.", nil, func() ([]Sample, error) {
		return []Sample{{Value: float64(runtime.NumGoroutine())}}, nil
	})
	r.NewGaugeFunc("go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects.", nil, func() ([]Sample, error) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return []Sample{{Value: float64(m.HeapAlloc)}}, nil
	})
}
