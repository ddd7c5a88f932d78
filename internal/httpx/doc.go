// Package httpx is HTTP plumbing shared by lmskit's handlers: a per-key token-bucket rate limiter
// and a small registry of counters and histograms written in the Prometheus text format, so that
// a library handler exports metrics without a metrics module. Declare the limiter and the metrics
// once, take a token and count every request in the handler, and write the metrics on their
// endpoint:
//
//	lim := &httpx.Limiter{Rate: 10, Burst: 2} // per key: bursts of 2, then 10 a second
//	m := httpx.NewMetrics()
//	m.Counter("lmskit_http_requests_total", "Requests by route and status.", "route", "code")
//
//	if ok, retry := lim.Allow(token); !ok {
//		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
//		w.WriteHeader(http.StatusTooManyRequests)
//		m.Add("lmskit_http_requests_total", 1, "GET /v1/locations", "429")
//		return
//	}
//	m.Add("lmskit_http_requests_total", 1, "GET /v1/locations", "200")
//
//	if _, err := m.WriteTo(&out); err != nil { // the /metrics endpoint, Content-Type httpx.ContentType
//		return err
//	}
package httpx
