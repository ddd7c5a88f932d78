package httpx

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := &Limiter{Rate: 2, Burst: 3, Now: func() time.Time { return now }}
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("over the burst: ok %v wait %v", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refilled token refused")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("a second request within the refill allowed")
	}
	if ok, _ := (&Limiter{Rate: -1}).Allow("x"); !ok {
		t.Fatal("a limiter without a rate refused")
	}
}

func TestLimiterBoundedKeys(t *testing.T) {
	now := time.Unix(1000, 0)
	l := &Limiter{Rate: 1, Burst: 1, MaxKeys: 10, Now: func() time.Time { return now }}
	for i := range 100 {
		l.Allow(strings.Repeat("k", i+1))
		now = now.Add(time.Millisecond)
	}
	if n := len(l.buckets); n > 10 {
		t.Fatalf("%d keys kept, at most 10", n)
	}
	// An exhausted key stays limited: it is not the one dropped first.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); l.Allow("concurrent") }()
	}
	wg.Wait()
}

func TestMetricsText(t *testing.T) {
	m := NewMetrics()
	m.Counter("req_total", "Requests.", "route", "code")
	m.Histogram("dur_seconds", "Latency.", "route")
	m.Add("req_total", 1, `GET /v1/x"y`, "200")
	m.Add("req_total", 2, `GET /v1/x"y`, "200")
	m.Observe("dur_seconds", 3*time.Millisecond, "r")
	m.Observe("dur_seconds", 20*time.Second, "r")
	var b strings.Builder
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"# TYPE req_total counter",
		`req_total{route="GET /v1/x\"y",code="200"} 3`,
		"# TYPE dur_seconds histogram",
		`dur_seconds_bucket{route="r",le="0.0025"} 0`,
		`dur_seconds_bucket{route="r",le="0.005"} 1`,
		`dur_seconds_bucket{route="r",le="10"} 1`,
		`dur_seconds_bucket{route="r",le="+Inf"} 2`,
		`dur_seconds_count{route="r"} 2`,
	}
	for _, w := range want {
		if !strings.Contains(b.String(), w+"\n") {
			t.Errorf("missing %q in\n%s", w, b.String())
		}
	}
	if m.Value("req_total", `GET /v1/x"y`, "200") != 3 {
		t.Fatal("Value")
	}
}

// TestNoGarbagePerRequest: counting a request on a series that exists, observing its latency and
// taking a token from a known key's bucket allocate nothing.
func TestNoGarbagePerRequest(t *testing.T) {
	m := NewMetrics()
	m.Counter("c", "help", "route", "code")
	m.Histogram("h", "help", "route")
	l := &Limiter{Rate: 1e9, Burst: 1e9}
	key := "lmsk_0123456789abcdef_secret"[:21]
	m.Add("c", 1, "POST /v1/locations/{location}/activate", "200")
	m.Observe("h", time.Millisecond, "POST /v1/locations/{location}/activate")
	l.Allow(key)
	if n := testing.AllocsPerRun(100, func() {
		m.Add("c", 1, "POST /v1/locations/{location}/activate", "200")
		m.Observe("h", time.Millisecond, "POST /v1/locations/{location}/activate")
		l.Allow(key)
	}); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
	if v := m.Value("c", "POST /v1/locations/{location}/activate", "200"); v != 102 {
		t.Fatalf("counted %v", v)
	}
}
