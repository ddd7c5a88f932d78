package httpx

import (
	"strings"
	"sync"
	"time"
)

// Limiter is a token-bucket rate limiter per key (an API token, a client certificate's user):
// each key may burst to Burst requests and then Rate per second. It holds at most MaxKeys keys;
// when full, the keys whose buckets have refilled (they would allow a full burst anyway) are
// dropped first, then the oldest. Safe for concurrent use.
type Limiter struct {
	Rate    float64          // requests per second per key; <= 0 means no limit
	Burst   int              // bucket size; < 1 means 1
	MaxKeys int              // 0 means 100,000
	Now     func() time.Time // nil means time.Now

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Allow takes one request from key's bucket; when it is empty it reports false and how long until
// the next request would be allowed.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil || l.Rate <= 0 {
		return true, 0
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	burst := float64(max(l.Burst, 1))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b := l.buckets[key]
	if b == nil {
		l.makeRoom(now, burst)
		b = &bucket{tokens: burst, last: now}
		l.buckets[strings.Clone(key)] = b // the key may share the memory of a larger string (a token)
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(burst, b.tokens+el*l.Rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
	return false, max(wait, time.Millisecond)
}

// makeRoom keeps the map under MaxKeys.
func (l *Limiter) makeRoom(now time.Time, burst float64) {
	maxKeys := l.MaxKeys
	if maxKeys <= 0 {
		maxKeys = 100_000
	}
	if len(l.buckets) < maxKeys {
		return
	}
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.Rate >= burst {
			delete(l.buckets, k)
		}
	}
	for len(l.buckets) >= maxKeys {
		var oldest string
		var t time.Time
		for k, b := range l.buckets {
			if oldest == "" || b.last.Before(t) {
				oldest, t = k, b.last
			}
		}
		delete(l.buckets, oldest)
	}
}
