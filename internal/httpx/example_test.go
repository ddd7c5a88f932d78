package httpx_test

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/lmskit/lmskit/internal/httpx"
)

// A handler that rate-limits each API token and counts its requests, and the metrics endpoint's
// output; the limiter's clock is fixed, so the third request in the same instant finds the bucket
// empty.
func Example() {
	if err := limitAndCount(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 200 OK
	// 200 OK
	// 429 Too Many Requests, retry after 1 s
	// # HELP lmskit_http_requests_total Requests by route and status.
	// # TYPE lmskit_http_requests_total counter
	// lmskit_http_requests_total{route="GET /v1/locations",code="200"} 2
	// lmskit_http_requests_total{route="GET /v1/locations",code="429"} 1
}

func limitAndCount() error {
	lim := &httpx.Limiter{Rate: 10, Burst: 2} // per key: bursts of 2, then 10 a second
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	lim.Now = func() time.Time { return now } // fixed for the example; nil means time.Now
	m := httpx.NewMetrics()
	m.Counter("lmskit_http_requests_total", "Requests by route and status.", "route", "code")

	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("Authorization") // the request's API token, once authenticated
		if ok, retry := lim.Allow(token); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
			w.WriteHeader(http.StatusTooManyRequests)
			m.Add("lmskit_http_requests_total", 1, "GET /v1/locations", "429")
			return
		}
		m.Add("lmskit_http_requests_total", 1, "GET /v1/locations", "200")
	})
	for range 3 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/v1/locations", nil)
		req.Header.Set("Authorization", "Bearer example-token")
		api.ServeHTTP(rec, req)
		if retry := rec.Header().Get("Retry-After"); retry != "" {
			fmt.Printf("%d %s, retry after %s s\n", rec.Code, http.StatusText(rec.Code), retry)
			continue
		}
		fmt.Printf("%d %s\n", rec.Code, http.StatusText(rec.Code))
	}

	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil { // the /metrics endpoint, Content-Type httpx.ContentType
		return err
	}
	fmt.Print(out.String())
	return nil
}
