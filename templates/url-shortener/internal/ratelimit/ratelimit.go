// Package ratelimit limits request rates per client key (such as an IP).
package ratelimit

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"
)

// Limiter hands out one token bucket per key. Buckets live in a bounded LRU
// and are dropped after idleTTL, so memory stays bounded whatever the number
// of clients.
type Limiter struct {
	rps   rate.Limit
	burst int

	mu      sync.Mutex // makes get-or-create atomic
	buckets *expirable.LRU[string, *rate.Limiter]
}

// New returns a Limiter allowing rps requests per second with bursts of
// burst per key, tracking at most maxKeys keys, each forgotten after idleTTL
// without use.
func New(rps float64, burst, maxKeys int, idleTTL time.Duration) *Limiter {
	return &Limiter{
		rps:     rate.Limit(rps),
		burst:   burst,
		buckets: expirable.NewLRU[string, *rate.Limiter](maxKeys, nil, idleTTL),
	}
}

// Allow reports whether a request for key may proceed now. When it may not,
// it returns how long to wait before retrying.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := time.Now()
	r := l.bucket(key).ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *Limiter) bucket(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.rps, l.burst)
		l.buckets.Add(key, b)
	}
	return b
}
