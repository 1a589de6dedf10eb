//go:build integration

package rabbit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/rabbit"
	"example.com/gopher-template/ecommerce/internal/rabbit/rabbittest"
	"example.com/gopher-template/ecommerce/internal/tasks"
	"example.com/gopher-template/ecommerce/internal/tasks/taskstest"
)

func TestPublishedEventsAreConsumedOnce(t *testing.T) {
	t.Parallel()
	conn := rabbittest.Dial(t, rabbittest.URL(t))
	top := rabbittest.Topology(t, conn, rabbit.TopologyOptions{})
	store := taskstest.NewMemory()
	h := tasks.NewHandler(store, nil)
	rec := &outcomes{}
	for _, r := range top.Routes() {
		run(t, rabbit.ConsumerOptions{Conn: conn, Topology: top, Consumer: r.Consumer, Handler: h.Handle, Recorder: rec})
	}
	var evs []events.Event
	for range 20 {
		evs = append(evs, orderPlaced(t), stockLow(t))
	}
	publish(t, conn, top, evs...)
	waitFor(t, 10*time.Second, "every event applied", func() bool { return len(store.Applied()) == len(evs) })
	waitFor(t, 5*time.Second, "every delivery acked", func() bool { return rec.count(rabbit.OutcomeAcked) == len(evs) })
	for _, e := range evs {
		if n := store.Applied()[e.ID]; n != 1 {
			t.Errorf("%s %s applied %d times", e.Type, e.ID, n)
		}
	}
	if len(store.StockAlerts()) != 20 {
		t.Errorf("%d stock alerts, want 20", len(store.StockAlerts()))
	}
}

// flaky fails the first failures calls of each message, then hands over to next; it records
// when each call came.
type flaky struct {
	failures int
	next     rabbit.Handler

	mu    sync.Mutex
	calls map[uuid.UUID][]time.Time
}

func (f *flaky) handle(ctx context.Context, e events.Event) error {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[uuid.UUID][]time.Time{}
	}
	f.calls[e.ID] = append(f.calls[e.ID], time.Now())
	n := len(f.calls[e.ID])
	f.mu.Unlock()
	if f.failures < 0 || n <= f.failures {
		return errors.New("the database is down")
	}
	return f.next(ctx, e)
}

func (f *flaky) times(id uuid.UUID) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.calls[id]...)
}

func TestFailedMessageIsRetriedAfterTheDelay(t *testing.T) {
	t.Parallel()
	const (
		delay    = 300 * time.Millisecond
		failures = 2 // K < N
		attempts = 4 // N
	)
	conn := rabbittest.Dial(t, rabbittest.URL(t))
	top := rabbittest.Topology(t, conn, rabbit.TopologyOptions{RetryDelay: delay, MaxAttempts: attempts})
	store := taskstest.NewMemory()
	f := &flaky{failures: failures, next: tasks.NewHandler(store, nil).Handle}
	rec := &outcomes{}
	run(t, rabbit.ConsumerOptions{Conn: conn, Topology: top, Consumer: rabbit.ConsumerOrderConfirmation, Handler: f.handle, Recorder: rec})

	e := orderPlaced(t)
	publish(t, conn, top, e)
	waitFor(t, 10*time.Second, "the event applied", func() bool { return store.Applied()[e.ID] == 1 })
	waitFor(t, 5*time.Second, "acked", func() bool { return rec.count(rabbit.OutcomeAcked) == 1 })

	calls := f.times(e.ID)
	if len(calls) != failures+1 {
		t.Fatalf("handled %d times, want %d failures and a success", len(calls), failures)
	}
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Sub(calls[i-1]); gap < delay {
			t.Errorf("attempt %d came %v after attempt %d, before the retry delay %v", i+1, gap, i, delay)
		}
	}
	if got := rec.count(rabbit.OutcomeRetried); got != failures {
		t.Errorf("%d retries recorded, want %d", got, failures)
	}
	time.Sleep(2 * delay) // nothing more comes
	if n := len(f.times(e.ID)); n != failures+1 || store.Applied()[e.ID] != 1 {
		t.Errorf("later: %d calls, applied %d times", n, store.Applied()[e.ID])
	}
	for _, q := range []string{top.Queue(rabbit.ConsumerOrderConfirmation), top.RetryQueue(rabbit.ConsumerOrderConfirmation), top.ParkingQueue(rabbit.ConsumerOrderConfirmation)} {
		if n := rabbittest.Messages(t, conn, q); n != 0 {
			t.Errorf("%s has %d messages", q, n)
		}
	}
}

func TestMessageFailingEveryAttemptIsParked(t *testing.T) {
	t.Parallel()
	const (
		delay    = 100 * time.Millisecond
		attempts = 3
	)
	conn := rabbittest.Dial(t, rabbittest.URL(t))
	top := rabbittest.Topology(t, conn, rabbit.TopologyOptions{RetryDelay: delay, MaxAttempts: attempts})
	f := &flaky{failures: -1} // always
	rec := &outcomes{}
	run(t, rabbit.ConsumerOptions{Conn: conn, Topology: top, Consumer: rabbit.ConsumerStockAlert, Handler: f.handle, Recorder: rec})

	e := stockLow(t)
	publish(t, conn, top, e)
	parking := top.ParkingQueue(rabbit.ConsumerStockAlert)
	waitFor(t, 10*time.Second, "the message parked", func() bool { return rabbittest.Messages(t, conn, parking) == 1 })
	waitFor(t, 5*time.Second, "the parked outcome recorded", func() bool { return rec.count(rabbit.OutcomeParked) == 1 })
	time.Sleep(3 * delay) // no attempt after the last
	if n := len(f.times(e.ID)); n != attempts {
		t.Errorf("handled %d times, want %d", n, attempts)
	}
	if rec.count(rabbit.OutcomeRetried) != attempts-1 || rec.count(rabbit.OutcomeParked) != 1 {
		t.Errorf("recorded %d retries and %d parked, want %d and 1", rec.count(rabbit.OutcomeRetried), rec.count(rabbit.OutcomeParked), attempts-1)
	}
	d, ok := rabbittest.Get(t, conn, parking)
	if !ok {
		t.Fatal("parking queue empty")
	}
	if d.MessageId != e.ID.String() || d.Type != e.Type || string(d.Body) != string(e.Payload) || d.DeliveryMode != amqp.Persistent {
		t.Errorf("parked message = %+v", d)
	}
	if d.Headers["x-parked-attempts"] != int64(attempts) || d.Headers["x-parked-reason"] != "the database is down" {
		t.Errorf("parked headers = %v", d.Headers)
	}
	for _, q := range []string{top.Queue(rabbit.ConsumerStockAlert), top.RetryQueue(rabbit.ConsumerStockAlert)} {
		if n := rabbittest.Messages(t, conn, q); n != 0 {
			t.Errorf("%s has %d messages", q, n)
		}
	}
}

func TestMalformedAndPermanentlyFailingMessagesAreParkedAtOnce(t *testing.T) {
	t.Parallel()
	conn := rabbittest.Dial(t, rabbittest.URL(t))
	top := rabbittest.Topology(t, conn, rabbit.TopologyOptions{RetryDelay: 100 * time.Millisecond})
	store := taskstest.NewMemory()
	var calls atomic.Int64
	h := tasks.NewHandler(store, nil)
	rec := &outcomes{}
	run(t, rabbit.ConsumerOptions{Conn: conn, Topology: top, Consumer: rabbit.ConsumerOrderConfirmation, Recorder: rec,
		Handler: func(ctx context.Context, e events.Event) error { calls.Add(1); return h.Handle(ctx, e) }})

	// No message ID: never reaches the handler.
	rabbittest.Publish(t, conn, top.Exchange(), events.TypeOrderPlaced, amqp.Publishing{Type: events.TypeOrderPlaced, Body: []byte("{}")})
	// Not JSON: the handler's error is permanent.
	rabbittest.Publish(t, conn, top.Exchange(), events.TypeOrderPlaced, amqp.Publishing{MessageId: uuid.NewString(), Type: events.TypeOrderPlaced, ContentType: "application/json", Body: []byte("{")})
	// A type the handler does not know, in the order queue.
	rabbittest.Publish(t, conn, top.RetryExchange(), rabbit.ConsumerOrderConfirmation, amqp.Publishing{MessageId: uuid.NewString(), Type: "order.shipped", Body: []byte("{}")})

	parking := top.ParkingQueue(rabbit.ConsumerOrderConfirmation)
	waitFor(t, 10*time.Second, "three messages parked", func() bool { return rabbittest.Messages(t, conn, parking) == 3 })
	// A message is parked, then acked, then its outcome recorded.
	waitFor(t, 5*time.Second, "three parked outcomes recorded", func() bool { return rec.count(rabbit.OutcomeParked) == 3 })
	if n := calls.Load(); n != 2 {
		t.Errorf("the handler was called %d times, want 2 (never for the message without an ID)", n)
	}
	if rec.count(rabbit.OutcomeParked) != 3 || rec.count(rabbit.OutcomeRetried) != 0 {
		t.Errorf("recorded %d parked and %d retried, want 3 and 0", rec.count(rabbit.OutcomeParked), rec.count(rabbit.OutcomeRetried))
	}
	if store.Calls() != 0 {
		t.Errorf("the store was called %d times", store.Calls())
	}
}

func TestConsumerBoundsConcurrency(t *testing.T) {
	t.Parallel()
	const concurrency = 3
	conn := rabbittest.Dial(t, rabbittest.URL(t))
	top := rabbittest.Topology(t, conn, rabbit.TopologyOptions{})
	var running, peak, done atomic.Int64
	run(t, rabbit.ConsumerOptions{Conn: conn, Topology: top, Consumer: rabbit.ConsumerStockAlert, Concurrency: concurrency, Prefetch: 10,
		Handler: func(context.Context, events.Event) error {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(50 * time.Millisecond)
			running.Add(-1)
			done.Add(1)
			return nil
		}})
	var evs []events.Event
	for range 12 {
		evs = append(evs, stockLow(t))
	}
	publish(t, conn, top, evs...)
	waitFor(t, 10*time.Second, "every message handled", func() bool { return done.Load() == int64(len(evs)) })
	if p := peak.Load(); p != concurrency {
		t.Errorf("at most %d handlers ran at once, want %d", p, concurrency)
	}
}

func TestGracefulStopFinishesInFlightMessages(t *testing.T) {
	t.Parallel()
	conn := rabbittest.Dial(t, rabbittest.URL(t))
	top := rabbittest.Topology(t, conn, rabbit.TopologyOptions{})
	queue := top.Queue(rabbit.ConsumerOrderConfirmation)

	t.Run("within the deadline: acked", func(t *testing.T) {
		entered, release := make(chan struct{}, 10), make(chan struct{})
		rec := &outcomes{}
		stop := run(t, rabbit.ConsumerOptions{Conn: conn, Topology: top, Consumer: rabbit.ConsumerOrderConfirmation, Concurrency: 1, Prefetch: 5, StopTimeout: 10 * time.Second, Recorder: rec,
			Handler: func(context.Context, events.Event) error { entered <- struct{}{}; <-release; return nil }})
		publish(t, conn, top, orderPlaced(t), orderPlaced(t), orderPlaced(t))
		<-entered
		stopped := make(chan struct{})
		go func() { stop(); close(stopped) }()
		time.Sleep(200 * time.Millisecond)
		select {
		case <-stopped:
			t.Fatal("Run returned with a handler in flight")
		default:
		}
		close(release)
		<-stopped
		if rec.count(rabbit.OutcomeAcked) != 1 || len(entered) != 0 {
			t.Errorf("acked %d, started %d more; want the one in flight acked and no other started", rec.count(rabbit.OutcomeAcked), len(entered))
		}
		// The two it had not started went back to the queue.
		waitFor(t, 5*time.Second, "the others back in the queue", func() bool { return rabbittest.Messages(t, conn, queue) == 2 })
	})

	t.Run("past the deadline: handed back", func(t *testing.T) {
		entered := make(chan struct{}, 10)
		rec := &outcomes{}
		stop := run(t, rabbit.ConsumerOptions{Conn: conn, Topology: top, Consumer: rabbit.ConsumerOrderConfirmation, Concurrency: 1, StopTimeout: 300 * time.Millisecond, Recorder: rec,
			Handler: func(ctx context.Context, _ events.Event) error {
				entered <- struct{}{}
				<-ctx.Done() // a handler that finishes only when told to stop
				return ctx.Err()
			}})
		<-entered
		start := time.Now()
		stop()
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("stop took %v with a 300 ms deadline", took)
		}
		waitFor(t, 5*time.Second, "the message recorded unsettled", func() bool { return rec.count(rabbit.OutcomeUnsettled) == 1 })
		waitFor(t, 5*time.Second, "both messages back in the queue", func() bool { return rabbittest.Messages(t, conn, queue) == 2 })
		if rec.count(rabbit.OutcomeRetried) != 0 {
			t.Error("a handler stopped at the deadline counted as a failed attempt")
		}
	})
}
