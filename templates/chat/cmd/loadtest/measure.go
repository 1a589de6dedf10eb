package main

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// plan is the shape of a run: how many messages, sent by how many clients, when.
type plan struct {
	clients  int
	senders  int
	rate     float64 // messages per second, all senders together
	messages int     // rate × duration
}

// newPlan spreads rate over the fewest senders that keep each one at or below senderRate (the
// gateway refuses what one connection sends beyond WS_MESSAGE_RATE).
func newPlan(clients int, rate, senderRate float64, duration time.Duration) (plan, error) {
	if clients < 1 || rate <= 0 || senderRate <= 0 || duration <= 0 {
		return plan{}, errors.New("plan: clients, rate, sender rate and duration must be positive")
	}
	senders := int(math.Ceil(rate / senderRate))
	if senders > clients {
		return plan{}, fmt.Errorf("plan: %g msgs/s at most %g msgs/s per sender needs %d senders, but there are %d clients: raise -clients or -sender-rate (and WS_MESSAGE_RATE)",
			rate, senderRate, senders, clients)
	}
	messages := int(math.Floor(rate * duration.Seconds()))
	if messages < 1 {
		return plan{}, fmt.Errorf("plan: %g msgs/s for %s sends no message", rate, duration)
	}
	return plan{clients: clients, senders: senders, rate: rate, messages: messages}, nil
}

// due is when message n is to be sent, from the start: the messages are evenly spaced, and
// sender i sends messages i, i+senders, i+2×senders, ..., so the senders take turns.
func (p plan) due(n int) time.Duration {
	return time.Duration(float64(n) / p.rate * float64(time.Second))
}

// bodyPrefix starts every message body the load test sends.
const bodyPrefix = "loadtest "

// encodeBody is the body of message n sent at sentAt (on the run's monotonic clock).
func encodeBody(n int, sentAt time.Duration) string {
	return bodyPrefix + strconv.Itoa(n) + " " + strconv.FormatInt(int64(sentAt), 10)
}

// decodeBody reads what encodeBody wrote; ok is false for any other body.
func decodeBody(body string) (n int, sentAt time.Duration, ok bool) {
	rest, found := strings.CutPrefix(body, bodyPrefix)
	if !found {
		return 0, 0, false
	}
	num, at, found := strings.Cut(rest, " ")
	if !found {
		return 0, 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, 0, false
	}
	ns, err := strconv.ParseInt(at, 10, 64)
	if err != nil || ns < 0 {
		return 0, 0, false
	}
	return n, time.Duration(ns), true
}

// percentile is the nearest-rank percentile p (0 < p <= 100) of sorted durations; 0 when
// there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// splitList splits a comma-separated list, dropping empty items and spaces around them.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// roomSocket is the WebSocket URL of a room on the gateway at base (http → ws, https → wss).
func roomSocket(base, roomID string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("gateway URL %q: %w", base, err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("gateway URL %q: want http:// or https://", base)
	}
	if u.Host == "" {
		return "", fmt.Errorf("gateway URL %q: no host", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/rooms/" + url.PathEscape(roomID) + "/ws"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// checkSockets checks WebSocket URLs given as they are.
func checkSockets(urls []string) error {
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil {
			return fmt.Errorf("WebSocket URL %q: %w", s, err)
		}
		if !slices.Contains([]string{"ws", "wss"}, u.Scheme) || u.Host == "" {
			return fmt.Errorf("WebSocket URL %q: want a ws:// or wss:// URL", s)
		}
	}
	return nil
}
