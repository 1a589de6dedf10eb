//go:build integration

package rabbit_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/rabbit"
)

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

// outcomes is a rabbit.Recorder that counts the outcomes.
type outcomes struct {
	mu sync.Mutex
	n  map[rabbit.Outcome]int
}

func (o *outcomes) Handled(_ string, outcome rabbit.Outcome, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[rabbit.Outcome]int{}
	}
	o.n[outcome]++
}

func (o *outcomes) count(outcome rabbit.Outcome) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[outcome]
}

// orderPlaced is an order.placed event with a valid payload.
func orderPlaced(t *testing.T) events.Event {
	t.Helper()
	return newEvent(t, events.TypeOrderPlaced, events.OrderPlaced{OrderID: uuid.New(), CustomerID: uuid.New(), TotalCents: 1250, Lines: 2})
}

// stockLow is a stock.low event with a valid payload.
func stockLow(t *testing.T) events.Event {
	t.Helper()
	return newEvent(t, events.TypeStockLow, events.StockLow{ProductID: uuid.New(), SKU: "SKU-" + uuid.NewString()[:8], Stock: 1, Threshold: 5})
}

func newEvent(t *testing.T, typ string, payload any) events.Event {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return events.Event{ID: uuid.New(), Type: typ, AggregateID: uuid.New(), Payload: body, OccurredAt: time.Now().UTC()}
}

// publish publishes evs through a new publisher and fails the test unless all are confirmed.
func publish(t *testing.T, conn *rabbit.Conn, top *rabbit.Topology, evs ...events.Event) {
	t.Helper()
	p := rabbit.NewPublisher(conn, top)
	defer p.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ids, err := p.Publish(ctx, evs)
	if err != nil || len(ids) != len(evs) {
		t.Fatalf("publish: %d of %d confirmed: %v", len(ids), len(evs), err)
	}
}

// run starts a consumer and returns its stop, which waits for Run to return; the test's end
// stops it too.
func run(t *testing.T, opts rabbit.ConsumerOptions) (stop func()) {
	t.Helper()
	c, err := rabbit.NewConsumer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("consumer %s: Run = %v", opts.Consumer, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("consumer %s did not stop", opts.Consumer)
		}
	})
	t.Cleanup(stop)
	return stop
}
