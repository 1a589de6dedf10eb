//go:build integration

package outbox_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/plumbing/testproxy"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/outbox"
	"example.com/gopher-template/ecommerce/internal/outbox/outboxtest"
	"example.com/gopher-template/ecommerce/internal/rabbit"
	"example.com/gopher-template/ecommerce/internal/rabbit/rabbittest"
	"example.com/gopher-template/ecommerce/internal/tasks"
	"example.com/gopher-template/ecommerce/internal/tasks/taskstest"
)

// confirmLog is a Publisher that remembers every ID the broker confirmed.
type confirmLog struct {
	next outbox.Publisher

	mu        sync.Mutex
	confirmed map[uuid.UUID]bool
}

func (p *confirmLog) Publish(ctx context.Context, batch []events.Event) ([]uuid.UUID, error) {
	ids, err := p.next.Publish(ctx, batch)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		p.confirmed[id] = true
	}
	return ids, err
}

func (p *confirmLog) has(id uuid.UUID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.confirmed[id]
}

// RabbitMQ goes away from the relay while orders keep coming: the relay backs off, the events
// stay pending, and none is marked published without the broker's confirm. Once RabbitMQ is
// back, every event is published and consumed, and each effect is applied once.
func TestRelaySurvivesABrokerOutage(t *testing.T) {
	t.Parallel()
	url := rabbittest.URL(t)
	direct := rabbittest.Dial(t, url)
	top := rabbittest.Topology(t, direct, rabbit.TopologyOptions{})
	proxied, proxy := testproxy.ForURL(t, url)
	relayConn := rabbittest.Dial(t, proxied)
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))

	// The worker's consumers, on a connection that stays up.
	effects := taskstest.NewMemory()
	apply := tasks.NewHandler(effects, logger).Handle
	ctx, stop := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	t.Cleanup(func() { stop(); workers.Wait() })
	for _, r := range top.Routes() {
		c, err := rabbit.NewConsumer(rabbit.ConsumerOptions{Conn: direct, Topology: top, Consumer: r.Consumer, Handler: apply, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		workers.Go(func() { _ = c.Run(ctx) })
	}

	// The relay, through the proxy.
	store := outboxtest.NewMemory()
	pub := &confirmLog{next: rabbit.NewPublisher(relayConn, top), confirmed: map[uuid.UUID]bool{}}
	rec := &recorder{}
	relay, err := outbox.NewRelay(outbox.Options{
		Store: store, Publisher: pub, BatchSize: 10, PollInterval: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, Timeout: 5 * time.Second, Logger: logger, Recorder: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	workers.Go(func() { _ = relay.Run(ctx) })

	// Orders keep coming, each writing its events to the outbox.
	var added atomic.Int64
	stopOrders := make(chan struct{})
	var ordering sync.WaitGroup
	ordering.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stopOrders:
				return
			case <-tick.C:
			}
			if err := store.Add(ctx, newEvent(t, i)); err != nil {
				t.Error(err)
				return
			}
			added.Add(1)
		}
	})
	ordersStopped := sync.OnceFunc(func() { close(stopOrders); ordering.Wait() })
	t.Cleanup(ordersStopped)

	waitFor(t, 10*time.Second, "30 events applied before the cut", func() bool { return len(effects.Applied()) >= 30 })

	proxy.Cut()
	_, failuresAtCut := rec.counts()
	waitFor(t, 10*time.Second, "the relay fails", func() bool { _, f := rec.counts(); return f > failuresAtCut })
	relayedAtCut, failedAtCut := rec.counts()
	pendingAtCut, _ := store.Pending(t.Context())
	time.Sleep(time.Second) // several backoffs, orders still coming
	relayedLater, failedLater := rec.counts()
	pendingLater, _ := store.Pending(t.Context())
	if relayedLater != relayedAtCut {
		t.Errorf("%d events marked published while RabbitMQ was cut", relayedLater-relayedAtCut)
	}
	if pendingLater <= pendingAtCut {
		t.Errorf("pending went from %d to %d during the cut: events should pile up", pendingAtCut, pendingLater)
	}
	// A relay that did not back off would fail every 20 ms poll: 50 times a second.
	if n := failedLater - failedAtCut; n < 2 || n > 12 {
		t.Errorf("the relay failed %d times in the second after the cut, want a few (backing off to 200 ms)", n)
	}
	t.Logf("during the cut: %d pending, %d failed rounds in 1 s", pendingLater, failedLater-failedAtCut)

	proxy.Restore()
	time.Sleep(200 * time.Millisecond) // orders still coming after the restore
	ordersStopped()
	total := int(added.Load())
	waitFor(t, 20*time.Second, "the outbox drained", func() bool { n, _ := store.Pending(t.Context()); return n == 0 })
	waitFor(t, 20*time.Second, "every event applied", func() bool { return len(effects.Applied()) == total })

	if store.Len() != total {
		t.Fatalf("outbox has %d events, %d added", store.Len(), total)
	}
	for id, n := range effects.Applied() {
		if n != 1 {
			t.Errorf("event %s applied %d times", id, n)
		}
		if !pub.has(id) {
			t.Errorf("event %s applied but never confirmed to the relay", id)
		}
		if !store.Published(id) {
			t.Errorf("event %s applied but not marked published", id)
		}
	}
	t.Logf("%d events published and applied once each", total)
}

// newEvent is the i-th event of the orders: an order placed, and every third a stock alert.
func newEvent(t *testing.T, i int) events.Event {
	t.Helper()
	typ, payload := events.TypeOrderPlaced, any(events.OrderPlaced{OrderID: uuid.New(), CustomerID: uuid.New(), TotalCents: int64(100 + i), Lines: 1})
	if i%3 == 2 {
		typ, payload = events.TypeStockLow, events.StockLow{ProductID: uuid.New(), SKU: "SKU-1", Stock: 1, Threshold: 3}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return events.Event{ID: uuid.New(), Type: typ, AggregateID: uuid.New(), Payload: body, OccurredAt: time.Now().UTC()}
}

// waitFor polls cond every 10 ms until it holds, and fails the test if it does not within d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
