package httpx

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metrics is a registry of labelled counters and histograms, written in the Prometheus text
// exposition format (version 0.0.4) by WriteTo. Names and label names are the caller's
// constants; label values are escaped. Safe for concurrent use.
type Metrics struct {
	mu       sync.Mutex
	counters map[string]*family
	hists    map[string]*family
}

type family struct {
	help   string
	labels []string
	series map[string]*series // by joined label values
}

type series struct {
	values []string
	n      float64   // counter value, or histogram count
	sum    float64   // histogram sum
	counts []uint64  // histogram bucket counts (not cumulative)
	bounds []float64 // histogram upper bounds
}

// DurationBuckets are the histogram bounds, in seconds, for request latencies.
var DurationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewMetrics returns an empty registry.
func NewMetrics() *Metrics {
	return &Metrics{counters: map[string]*family{}, hists: map[string]*family{}}
}

// Counter declares a counter family (idempotent).
func (m *Metrics) Counter(name, help string, labels ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counters[name] == nil {
		m.counters[name] = &family{help: help, labels: labels, series: map[string]*series{}}
	}
}

// Histogram declares a histogram family with DurationBuckets (idempotent).
func (m *Metrics) Histogram(name, help string, labels ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hists[name] == nil {
		m.hists[name] = &family{help: help, labels: labels, series: map[string]*series{}}
	}
}

// get returns the series of the label values, made on first use. Finding an existing one
// allocates nothing: a request counts without garbage.
func (f *family) get(values []string) *series {
	var buf [128]byte
	key := buf[:0]
	for i, v := range values {
		if i > 0 {
			key = append(key, 0)
		}
		key = append(key, v...)
	}
	if s := f.series[string(key)]; s != nil {
		return s
	}
	s := &series{values: slices.Clone(values)}
	f.series[string(key)] = s
	return s
}

// Add adds v to the counter name with the label values given in declaration order.
func (m *Metrics) Add(name string, v float64, values ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.counters[name]
	if f == nil || len(values) != len(f.labels) {
		panic("httpx: counter " + name + " used with undeclared name or wrong labels")
	}
	f.get(values).n += v
}

// Observe records d in the histogram name.
func (m *Metrics) Observe(name string, d time.Duration, values ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.hists[name]
	if f == nil || len(values) != len(f.labels) {
		panic("httpx: histogram " + name + " used with undeclared name or wrong labels")
	}
	s := f.get(values)
	if s.counts == nil {
		s.bounds = DurationBuckets
		s.counts = make([]uint64, len(DurationBuckets))
	}
	sec := d.Seconds()
	s.n++
	s.sum += sec
	if i, _ := slices.BinarySearch(s.bounds, sec); i < len(s.counts) {
		s.counts[i]++
	}
}

// Value returns a counter's value (for tests).
func (m *Metrics) Value(name string, values ...string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.counters[name]; f != nil {
		if s := f.series[strings.Join(values, "\x00")]; s != nil {
			return s.n
		}
	}
	return 0
}

// ContentType is the media type of WriteTo's output.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteTo writes every family in the Prometheus text format, families and series sorted.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, name := range sortedKeys(m.counters) {
		f := m.counters[name]
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", name, escHelp(f.help), name)
		for _, k := range sortedKeys(f.series) {
			s := f.series[k]
			fmt.Fprintf(&b, "%s%s %s\n", name, labels(f.labels, s.values, "", ""), num(s.n))
		}
	}
	for _, name := range sortedKeys(m.hists) {
		f := m.hists[name]
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s histogram\n", name, escHelp(f.help), name)
		for _, k := range sortedKeys(f.series) {
			s := f.series[k]
			var cum uint64
			for i, ub := range s.bounds {
				cum += s.counts[i]
				fmt.Fprintf(&b, "%s_bucket%s %d\n", name, labels(f.labels, s.values, "le", num(ub)), cum)
			}
			fmt.Fprintf(&b, "%s_bucket%s %s\n", name, labels(f.labels, s.values, "le", "+Inf"), num(s.n))
			fmt.Fprintf(&b, "%s_sum%s %s\n", name, labels(f.labels, s.values, "", ""), num(s.sum))
			fmt.Fprintf(&b, "%s_count%s %s\n", name, labels(f.labels, s.values, "", ""), num(s.n))
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func labels(names, values []string, extra, extraValue string) string {
	if len(names) == 0 && extra == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=\"%s\"", n, escLabel(values[i]))
	}
	if extra != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=\"%s\"", extra, extraValue)
	}
	b.WriteByte('}')
	return b.String()
}

func escLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

func escHelp(s string) string { return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s) }

func num(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
