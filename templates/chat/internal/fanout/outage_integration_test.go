//go:build integration

package fanout_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"example.com/gopher-template/plumbing/testproxy"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/fanout"
	"example.com/gopher-template/chat/internal/testenv"
)

// Bounds of TestFeedSurvivesANATSOutage, generous for a loaded machine.
const (
	// detectWithin bounds how long a connection the proxy closed takes to report it.
	detectWithin = 5 * time.Second
	// cutFor is how long NATS stays away: longer than ReconnectWait (nats.go's default, 2 s),
	// so the client goes through failed reconnection attempts, not only a lucky first one.
	cutFor = 2500 * time.Millisecond
	// recoverWithin bounds how long readiness takes to come back after the restore: one
	// ReconnectWait (2 s plus jitter) and the handshake, with room to spare, and far less than
	// "never" (MaxReconnects exhausted) or a ReconnectWait of minutes.
	recoverWithin = 10 * time.Second
	// deliverWithin bounds how long a message takes to reach a subscriber.
	deliverWithin = 10 * time.Second
	// afterRestore is how many messages the test publishes once the cut gateway is back.
	afterRestore = 100
)

// A gateway that loses NATS while a room is busy says so on its readiness check, reconnects by
// itself once NATS is back, with its subscriptions, and delivers from then on; another gateway,
// whose NATS stayed up, sees nothing of it. What the cut gateway missed is lost (core NATS is
// at-most-once, ADR 3: its sockets page the history), but what it receives is in the order
// published and never twice.
func TestFeedSurvivesANATSOutage(t *testing.T) {
	t.Parallel()
	natsURL, prefix := testenv.NATS(t)
	proxied, proxy := testproxy.ForURL(t, natsURL)
	logger := slog.New(slog.DiscardHandler)
	connect := func(url string) (*nats.Conn, *fanout.Feed) {
		nc, err := fanout.Connect(t.Context(), url, "fanout-outage-test", logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		f, err := fanout.New(nc, prefix, logger)
		if err != nil {
			t.Fatal(err)
		}
		return nc, f
	}
	// The chat service publishes; gateway A reaches NATS through the proxy, gateway B directly.
	_, publisher := connect(natsURL)
	ncA, feedA := connect(proxied)
	ncB, feedB := connect(natsURL)
	readyA, readyB := fanout.Ready(ncA), fanout.Ready(ncB)

	room := uuid.NewString()
	a, b := &receiver{}, &receiver{}
	for _, s := range []struct {
		feed *fanout.Feed
		r    *receiver
	}{{feedA, a}, {feedB, b}} {
		if _, err := s.feed.Subscribe(t.Context(), room, s.r.deliver); err != nil {
			t.Fatal(err)
		}
	}

	// A steady stream, ids 1, 2, 3…, as the chat service publishes stored messages.
	var sent atomic.Int64
	stopPublishing := make(chan struct{})
	var publishing sync.WaitGroup
	publishing.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopPublishing:
				return
			case <-tick.C:
			}
			id := sent.Load() + 1
			m := chat.Message{ID: id, RoomID: room, UserID: "u", Username: "ada", Body: "tick", CreatedAt: time.Now().UTC()}
			if err := publisher.Publish(t.Context(), m); err != nil {
				t.Errorf("publish %d: %v", id, err)
				return
			}
			sent.Store(id)
		}
	})
	stopped := sync.OnceFunc(func() { close(stopPublishing); publishing.Wait() })
	t.Cleanup(stopped)

	if !waitUntil(deliverWithin, func() bool { return a.last() >= 20 && b.last() >= 20 }) {
		t.Fatalf("before the cut, A received up to %d and B up to %d of %d messages, want 20 each", a.last(), b.last(), sent.Load())
	}

	proxy.Cut()
	cutAt, sentBeforeCut := time.Now(), sent.Load()
	if !waitUntil(detectWithin, func() bool { return readyA(t.Context()) != nil }) {
		t.Fatalf("gateway A's readiness still passes %v after NATS was cut (status %v)", detectWithin, ncA.Status())
	}
	t.Logf("A reported the cut after %v: %v", time.Since(cutAt).Round(time.Millisecond), readyA(t.Context()))
	// Until the restore, A stays unready (no connection can get through) and B stays ready.
	for time.Since(cutAt) < cutFor {
		if err := readyA(t.Context()); err == nil {
			t.Fatalf("gateway A reported ready %v into the cut, status %v", time.Since(cutAt).Round(time.Millisecond), ncA.Status())
		}
		if err := readyB(t.Context()); err != nil {
			t.Fatalf("gateway B, whose NATS is up, reported unready during A's cut: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if sent.Load() == sentBeforeCut {
		t.Fatal("nothing was published during the cut")
	}

	proxy.Restore()
	restoredAt := time.Now()
	if !waitUntil(recoverWithin, func() bool { return readyA(t.Context()) == nil }) {
		t.Fatalf("gateway A's readiness did not recover within %v of the restore: %v (status %v)", recoverWithin, readyA(t.Context()), ncA.Status())
	}
	t.Logf("A ready again %v after the restore", time.Since(restoredAt).Round(time.Millisecond))
	if n := ncA.Stats().Reconnects; n < 1 {
		t.Errorf("gateway A reconnected %d times, want at least once", n)
	}
	// A round trip on A's new connection: once NATS answers it, NATS has processed the
	// subscriptions nats.go resent before it, and every message published from now on is A's.
	ctx, cancel := context.WithTimeout(t.Context(), deliverWithin)
	err := ncA.FlushWithContext(ctx)
	cancel()
	if err != nil {
		t.Fatalf("flush on A's new connection: %v", err)
	}
	// The message after the last one counted may have gone out before the flush; the one after
	// it went out after.
	resumeFrom := sent.Load() + 2
	if !waitUntil(deliverWithin, func() bool { return sent.Load() >= resumeFrom+afterRestore }) {
		t.Fatalf("published %d messages after the restore, want %d", sent.Load()-resumeFrom+1, afterRestore)
	}
	stopped()
	last := sent.Load()
	if !waitUntil(deliverWithin, func() bool { return a.last() >= last && b.last() >= last }) {
		t.Fatalf("after the restore, A received up to %d and B up to %d of %d messages", a.last(), b.last(), last)
	}

	gotA, gotB := a.ids(), b.ids()
	for name, got := range map[string][]int64{"A": gotA, "B": gotB} {
		// At most once, in the order published: ids strictly increase.
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Errorf("gateway %s received %d after %d: a duplicate or out of order", name, got[i], got[i-1])
				break
			}
		}
	}
	// Everything published once A was back reached A, and B received everything: the cut of one
	// gateway's NATS costs the other nothing.
	if missing := missingIDs(gotA, resumeFrom, last); len(missing) > 0 {
		t.Errorf("gateway A missed %d of the %d messages published after it reconnected, e.g. %v", len(missing), last-resumeFrom+1, missing[:min(len(missing), 10)])
	}
	if missing := missingIDs(gotB, 1, last); len(missing) > 0 {
		t.Errorf("gateway B missed %d of %d messages, e.g. %v", len(missing), last, missing[:min(len(missing), 10)])
	}
	t.Logf("A lost %d of the %d messages published until it reconnected (at-most-once; the history has them)",
		len(missingIDs(gotA, 1, resumeFrom-1)), resumeFrom-1)
}

// receiver records the ids of the messages a subscription delivers, in delivery order.
type receiver struct {
	mu  sync.Mutex
	got []int64
}

func (r *receiver) deliver(m chat.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m.ID)
}

func (r *receiver) ids() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// last is the highest id received so far.
func (r *receiver) last() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		return 0
	}
	return slices.Max(r.got)
}

// missingIDs returns the ids from first to last that got lacks.
func missingIDs(got []int64, first, last int64) []int64 {
	have := make(map[int64]bool, len(got))
	for _, id := range got {
		have[id] = true
	}
	var missing []int64
	for id := first; id <= last; id++ {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return missing
}

// waitUntil polls cond every 20 ms until it holds, and reports whether it did within d.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
