// Package backoff computes retry delays: exponential growth with full jitter, as described in
// "Exponential Backoff And Jitter" (AWS Architecture Blog). The functions are pure; randomness is
// injected so that schedules can be tested deterministically.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Policy describes an exponential backoff schedule.
type Policy struct {
	// Base is the ceiling of the first delay.
	Base time.Duration
	// Max caps every delay.
	Max time.Duration
	// Int64N returns a uniform random number in [0, n). Nil means math/rand/v2's Int64N,
	// which is safe for concurrent use.
	Int64N func(n int64) int64
}

// Ceiling returns the largest delay allowed before retry number attempt (1-based): Base doubled
// attempt-1 times, capped at Max. It never overflows.
func (p Policy) Ceiling(attempt int) time.Duration {
	if p.Base <= 0 || p.Max <= 0 {
		return 0
	}
	if attempt < 1 {
		attempt = 1
	}
	ceiling := p.Base
	for range attempt - 1 {
		if ceiling >= p.Max/2 {
			return p.Max
		}
		ceiling *= 2
	}
	return min(ceiling, p.Max)
}

// Delay returns a delay drawn uniformly from [0, Ceiling(attempt)] ("full jitter"), which spreads
// retries of jobs that failed together instead of having them retry in lockstep.
func (p Policy) Delay(attempt int) time.Duration {
	ceiling := p.Ceiling(attempt)
	if ceiling <= 0 {
		return 0
	}
	int64N := p.Int64N
	if int64N == nil {
		int64N = rand.Int64N //nolint:gosec // G404: retry jitter needs no cryptographic randomness.
	}
	return time.Duration(int64N(int64(ceiling) + 1))
}
