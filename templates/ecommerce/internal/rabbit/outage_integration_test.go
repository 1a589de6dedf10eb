//go:build integration

package rabbit_test

import (
	"context"
	"testing"
	"time"

	"example.com/gopher-template/plumbing/testproxy"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/rabbit"
	"example.com/gopher-template/ecommerce/internal/rabbit/rabbittest"
	"example.com/gopher-template/ecommerce/internal/tasks"
	"example.com/gopher-template/ecommerce/internal/tasks/taskstest"
)

// A worker killed while it handles a message: the broker sees its connection drop and hands
// the message to another worker, which applies it. When the first one's handler, still
// running, gets to the store, the store has the message already and applies nothing; its ack
// fails on the dead channel without touching anything else, and the worker goes on once the
// broker is back.
func TestConsumerKilledMidMessage(t *testing.T) {
	t.Parallel()
	url := rabbittest.URL(t)
	direct := rabbittest.Dial(t, url)
	top := rabbittest.Topology(t, direct, rabbit.TopologyOptions{})
	proxied, proxy := testproxy.ForURL(t, url)
	connA := rabbittest.Dial(t, proxied)

	store := taskstest.NewMemory()
	apply := tasks.NewHandler(store, nil).Handle
	entered, release := make(chan events.Event, 1), make(chan struct{})
	recA, recB := &outcomes{}, &outcomes{}
	// A blocks inside its handler until released, then applies through the shared store.
	run(t, rabbit.ConsumerOptions{Conn: connA, Topology: top, Consumer: rabbit.ConsumerOrderConfirmation, Recorder: recA,
		Handler: func(ctx context.Context, e events.Event) error {
			select {
			case entered <- e:
				<-release
			default: // later messages go straight through
			}
			return apply(ctx, e)
		}})

	e := orderPlaced(t)
	publish(t, direct, top, e)
	select {
	case got := <-entered:
		if got.ID != e.ID {
			t.Fatalf("A got %s, want %s", got.ID, e.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("A never got the message")
	}

	// B subscribes only now, so that A had the message first.
	stopB := run(t, rabbit.ConsumerOptions{Conn: direct, Topology: top, Consumer: rabbit.ConsumerOrderConfirmation, Handler: apply, Recorder: recB})
	proxy.Cut() // A's process is killed, as far as the broker can tell
	waitFor(t, 10*time.Second, "B applies the message A was handling", func() bool { return store.Applied()[e.ID] == 1 })
	waitFor(t, 5*time.Second, "B acks it", func() bool { return recB.count(rabbit.OutcomeAcked) == 1 })

	close(release) // A's handler resumes: the store has the message, A's ack has no channel
	waitFor(t, 5*time.Second, "A settles, or fails to", func() bool { return recA.count(rabbit.OutcomeUnsettled) == 1 })
	if n := store.Applied()[e.ID]; n != 1 {
		t.Errorf("effect applied %d times, want 1", n)
	}
	if store.Calls() != 2 {
		t.Errorf("the store saw %d calls, want 2 (B's, then A's duplicate)", store.Calls())
	}
	if recA.count(rabbit.OutcomeAcked) != 0 {
		t.Error("A recorded an ack on a connection that was gone")
	}
	queue := top.Queue(rabbit.ConsumerOrderConfirmation)
	if n := rabbittest.Messages(t, direct, queue); n != 0 {
		t.Errorf("queue has %d messages after B's ack", n)
	}

	// The broker is back for A: it subscribes again and works as before.
	proxy.Restore()
	stopB()
	next := orderPlaced(t)
	publish(t, direct, top, next)
	waitFor(t, 15*time.Second, "A handles the next message", func() bool { return recA.count(rabbit.OutcomeAcked) == 1 })
	if n := store.Applied()[next.ID]; n != 1 {
		t.Errorf("next message applied %d times", n)
	}
}

// A broker that goes away and comes back: readiness says so, and the consumer subscribes again
// by itself.
func TestConsumerResubscribesAfterAnOutage(t *testing.T) {
	t.Parallel()
	url := rabbittest.URL(t)
	direct := rabbittest.Dial(t, url)
	top := rabbittest.Topology(t, direct, rabbit.TopologyOptions{})
	proxied, proxy := testproxy.ForURL(t, url)
	conn := rabbittest.Dial(t, proxied)
	store := taskstest.NewMemory()
	rec := &outcomes{}
	run(t, rabbit.ConsumerOptions{Conn: conn, Topology: top, Consumer: rabbit.ConsumerStockAlert, Handler: tasks.NewHandler(store, nil).Handle, Recorder: rec,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})

	before := stockLow(t)
	publish(t, direct, top, before)
	waitFor(t, 10*time.Second, "the first message applied", func() bool { return store.Applied()[before.ID] == 1 })
	waitFor(t, 5*time.Second, "the first message acked", func() bool { return rec.count(rabbit.OutcomeAcked) == 1 })

	proxy.Cut()
	waitFor(t, 5*time.Second, "readiness fails", func() bool { return conn.Ping(t.Context()) != nil })
	during := stockLow(t)
	publish(t, direct, top, during) // waits in the queue
	time.Sleep(500 * time.Millisecond)
	if err := conn.Ping(t.Context()); err == nil {
		t.Error("ready while cut")
	}
	proxy.Restore()
	waitFor(t, 10*time.Second, "readiness back", func() bool { return conn.Ping(t.Context()) == nil })
	waitFor(t, 10*time.Second, "the message published during the outage applied", func() bool { return store.Applied()[during.ID] == 1 })
	// Applied, then acked, then recorded.
	waitFor(t, 5*time.Second, "both acked", func() bool { return rec.count(rabbit.OutcomeAcked) == 2 })
}
