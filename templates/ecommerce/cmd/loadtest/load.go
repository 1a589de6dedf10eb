package main

import (
	"context"
	"errors"
	"math"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// recorder is one client's tally; each client has its own, merged at the end.
type recorder struct {
	latencies []time.Duration // of the successful requests
	errors    map[string]int  // by kind: the status, or "timeout", "network"
	firstErr  error
}

func (r *recorder) record(took time.Duration, err error) {
	if err == nil {
		r.latencies = append(r.latencies, took)
		return
	}
	if r.errors == nil {
		r.errors = map[string]int{}
	}
	r.errors[errorKind(err)]++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// errorKind names what went wrong: the status of an unexpected answer, or the kind of failure.
func errorKind(err error) string {
	var se *statusError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return strconv.Itoa(se.status)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	default:
		return "network"
	}
}

// hammer runs clients goroutines, each calling call back to back until d has passed, and sums
// up what they saw. A request under way when the time is up finishes and counts.
func hammer(ctx context.Context, clients int, d time.Duration, call func(ctx context.Context, client int) error) phase {
	recorders := make([]recorder, clients)
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			r := &recorders[i]
			for ctx.Err() == nil && time.Now().Before(end) {
				began := time.Now()
				err := call(ctx, i)
				r.record(time.Since(began), err)
			}
		})
	}
	wg.Wait()
	return summarize(recorders, time.Since(start))
}

// placeOrders has every customer place orders for d, each of lines products taken round robin.
func placeOrders(ctx context.Context, c *client, products, tokens []string, lines int, d time.Duration) phase {
	var next atomic.Int64
	return hammer(ctx, len(tokens), d, func(ctx context.Context, i int) error {
		first := int(next.Add(1) - 1)
		items := make([]orderItem, lines)
		for j := range items {
			items[j] = orderItem{ProductID: products[(first+j)%len(products)], Quantity: 1}
		}
		return c.placeOrder(ctx, tokens[i], items)
	})
}

// listProducts has clients read the first page of the catalog for d.
func listProducts(ctx context.Context, c *client, clients int, d time.Duration) phase {
	return hammer(ctx, clients, d, func(ctx context.Context, _ int) error { return c.firstPage(ctx) })
}

// forEach calls f for 0..n-1, at most concurrency at a time, and returns the first error (the
// calls not started yet are skipped).
func forEach(ctx context.Context, n, concurrency int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// summarize merges the clients' tallies over a phase that took elapsed.
func summarize(recorders []recorder, elapsed time.Duration) phase {
	p := phase{Seconds: elapsed.Seconds(), Errors: map[string]int{}}
	var latencies []time.Duration
	for _, r := range recorders {
		latencies = append(latencies, r.latencies...)
		for kind, n := range r.errors {
			p.Errors[kind] += n
			p.Failed += n
		}
		if p.firstErr == nil {
			p.firstErr = r.firstErr
		}
	}
	slices.Sort(latencies)
	p.OK = len(latencies)
	p.Requests = p.OK + p.Failed
	if p.Seconds > 0 {
		p.OKPerSecond = float64(p.OK) / p.Seconds
	}
	p.P50Ms, p.P99Ms = ms(percentile(latencies, 50)), ms(percentile(latencies, 99))
	if p.OK > 0 {
		p.MaxMs = ms(latencies[p.OK-1])
	}
	return p
}

// percentile is the nearest-rank percentile p (0 < p <= 100) of sorted durations; 0 when there
// are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
