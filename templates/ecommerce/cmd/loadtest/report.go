package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// result is a run's figures; with -json it is printed as one line.
type result struct {
	API      string `json:"api"`
	Products int    `json:"products"`
	Clients  int    `json:"clients"`
	Lines    int    `json:"lines"`
	Orders   phase  `json:"orders"`
	List     *phase `json:"list,omitempty"` // nil when -list-duration is 0
}

// phase is what the clients of one phase saw.
type phase struct {
	Requests int `json:"requests"`
	OK       int `json:"ok"`
	Failed   int `json:"failed"`
	// Errors counts the failed requests by kind: the status of the answer, or timeout, network.
	Errors map[string]int `json:"errors"`
	// Seconds runs from the first request to the end of the last.
	Seconds     float64 `json:"seconds"`
	OKPerSecond float64 `json:"ok_per_second"`
	// Latencies of the successful requests, in milliseconds.
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`

	firstErr error
}

func (r result) write(w io.Writer, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	phases := []struct {
		name string
		p    *phase
	}{{"POST /v1/orders", &r.Orders}, {"GET /v1/products?limit=20", r.List}}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d products, %d clients, %d lines per order\n\n", r.API, r.Products, r.Clients, r.Lines)
	fmt.Fprintf(&b, "%-26s %9s %9s %7s %9s %8s %8s %8s\n", "", "requests", "ok", "failed", "ok/s", "p50 ms", "p99 ms", "max ms")
	for _, ph := range phases {
		if p := ph.p; p != nil {
			fmt.Fprintf(&b, "%-26s %9d %9d %7d %9.1f %8.2f %8.2f %8.2f\n", ph.name, p.Requests, p.OK, p.Failed, p.OKPerSecond, p.P50Ms, p.P99Ms, p.MaxMs)
		}
	}
	for _, ph := range phases {
		if p := ph.p; p != nil && p.Failed > 0 {
			fmt.Fprintf(&b, "%s failures: %s; the first: %v\n", ph.name, breakdown(p.Errors), p.firstErr)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// breakdown is "409 ×3, timeout ×1", kinds in order.
func breakdown(kinds map[string]int) string {
	var parts []string
	for _, kind := range slices.Sorted(maps.Keys(kinds)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", kind, kinds[kind]))
	}
	return strings.Join(parts, ", ")
}

// failure is the run's error when a request failed, or nothing succeeded.
func (r result) failure() error {
	for _, p := range []*phase{&r.Orders, r.List} {
		if p == nil {
			continue
		}
		if p.Failed > 0 {
			return fmt.Errorf("%d of %d requests failed (%s), the first: %w", p.Failed, p.Requests, breakdown(p.Errors), p.firstErr)
		}
		if p.OK == 0 {
			return errors.New("no request completed within the phase")
		}
	}
	return nil
}
