package api

import (
	"context"
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says how often and how long the client waits before repeating a request.
//
// The rules, applied after every attempt:
//   - GET and DELETE (idempotent) are retried on 429, 502, 503 and 504 and on connection
//     errors (no response received), except TLS certificate errors.
//   - POST is retried only on 429 or 503 that carry a Retry-After header: the server says it
//     did not process the request. A POST that failed any other way may have created the link,
//     so it is never repeated.
//   - The wait is Retry-After when the response has one (delta-seconds or HTTP date), capped at
//     MaxRetryAfter; otherwise exponential backoff BaseDelay*2^n, capped at MaxDelay, with jitter
//     (a random value between half and all of it).
//   - No retry is made when the wait would outlast the context deadline; the last response or
//     error is returned instead.
type RetryPolicy struct {
	MaxAttempts   int           // total attempts, including the first; values < 1 mean 1
	BaseDelay     time.Duration // first backoff
	MaxDelay      time.Duration // cap on one backoff
	MaxRetryAfter time.Duration // cap on a server-requested Retry-After wait
}

// DefaultRetryPolicy is the policy used when Options.Retry is nil.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:   4,
		BaseDelay:     100 * time.Millisecond,
		MaxDelay:      2 * time.Second,
		MaxRetryAfter: 30 * time.Second,
	}
}

// retryableStatus reports whether an idempotent request may be repeated after this status.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodDelete
}

// shouldRetry applies the rules documented on RetryPolicy to one attempt's outcome.
// hasRetryAfter reports whether the response carried a valid Retry-After header.
func shouldRetry(method string, status int, err error, hasRetryAfter bool) bool {
	if err != nil {
		var certErr *tls.CertificateVerificationError
		if errors.As(err, &certErr) {
			return false
		}
		return idempotent(method)
	}
	if idempotent(method) {
		return retryableStatus(status)
	}
	return hasRetryAfter && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable)
}

// backoff returns the jittered exponential delay before retry number n (1-based).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.MaxDelay
	if n < 31 { // beyond that the shift overflows; MaxDelay applies anyway
		if exp := p.BaseDelay << (n - 1); exp > 0 && exp < p.MaxDelay {
			d = exp
		}
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1) //nolint:gosec // jitter needs no cryptographic randomness
}

// parseRetryAfter reads a Retry-After header: delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(time.Duration(1<<62)/time.Second) {
			return time.Duration(1 << 62), true
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
