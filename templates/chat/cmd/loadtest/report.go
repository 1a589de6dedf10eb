package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

// result is a run's figures; with -json it is printed as one line.
type result struct {
	Clients  int     `json:"clients"`
	Servers  int     `json:"servers"`
	Senders  int     `json:"senders"`
	Rate     float64 `json:"rate"`
	Messages int     `json:"messages"` // planned: rate × duration
	// Sent is what the senders wrote; Refused, the error frames the server answered some with.
	Sent    int64 `json:"sent"`
	Refused int64 `json:"refused"`
	// Expected is Sent × Clients: every client receives every message, its own included.
	Expected   int64 `json:"expected"`
	Delivered  int64 `json:"delivered"`
	Lost       int64 `json:"lost"`
	Duplicates int64 `json:"duplicates"`
	// Disconnected counts the clients whose socket failed before the end (the server dropped
	// it, say, as a slow consumer): the load test then fails, after its report.
	Disconnected int `json:"disconnected"`
	// Seconds runs from the first message's due time to the last delivery.
	Seconds            float64 `json:"seconds"`
	DeliveredPerSecond float64 `json:"delivered_per_second"`
	P50Ms              float64 `json:"p50_ms"`
	P99Ms              float64 `json:"p99_ms"`
	MaxMs              float64 `json:"max_ms"`
	// MaxSendLagMs is how far behind its schedule a sender fell at worst: the load test's own
	// slack, which should stay far below the latencies it reports.
	MaxSendLagMs float64 `json:"max_send_lag_ms"`

	firstDisconnect error
}

// summarize adds up what the clients saw.
// begin is when the first message was due, on the run's clock.
func summarize(p plan, servers int, clients []*client, begin time.Duration, sent int64, lag time.Duration) result {
	r := result{
		Clients: len(clients), Servers: servers, Senders: p.senders, Rate: p.rate, Messages: p.messages,
		Sent: sent, Expected: sent * int64(len(clients)), MaxSendLagMs: ms(lag),
	}
	var latencies []time.Duration
	var last time.Duration
	for i, c := range clients {
		r.Refused += c.refused
		r.Delivered += c.delivered
		r.Duplicates += c.duplicates
		last = max(last, c.last)
		latencies = append(latencies, c.latencies...)
		if err := cmp.Or(c.readErr, c.writeErr); err != nil {
			r.Disconnected++
			if r.firstDisconnect == nil {
				r.firstDisconnect = fmt.Errorf("client %d: %w", i, err)
			}
		}
	}
	r.Lost = r.Expected - r.Delivered
	slices.Sort(latencies)
	r.P50Ms, r.P99Ms = ms(percentile(latencies, 50)), ms(percentile(latencies, 99))
	if len(latencies) > 0 {
		r.MaxMs = ms(latencies[len(latencies)-1])
	}
	if last > begin {
		r.Seconds = (last - begin).Seconds()
		r.DeliveredPerSecond = float64(r.Delivered) / r.Seconds
	}
	return r
}

// count is "1 server", "2 servers".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r result) write(w io.Writer, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	_, err := fmt.Fprintf(w, "%s over %s; %s, %g msgs/s (%d messages planned)\n"+
		"sent %d (refused %d); delivered %d of %d (lost %d, duplicates %d, clients disconnected %d) in %.2fs\n"+
		"delivered %.0f msgs/s; end-to-end latency p50 %.2fms, p99 %.2fms, max %.2fms (senders at most %.2fms behind schedule)\n",
		count(r.Clients, "client"), count(r.Servers, "server"), count(r.Senders, "sender"), r.Rate, r.Messages,
		r.Sent, r.Refused, r.Delivered, r.Expected, r.Lost, r.Duplicates, r.Disconnected, r.Seconds,
		r.DeliveredPerSecond, r.P50Ms, r.P99Ms, r.MaxMs, r.MaxSendLagMs)
	return err
}
