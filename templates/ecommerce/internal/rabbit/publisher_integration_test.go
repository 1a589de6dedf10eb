//go:build integration

package rabbit_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"example.com/gopher-template/plumbing/testproxy"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/rabbit"
	"example.com/gopher-template/ecommerce/internal/rabbit/rabbittest"
)

func TestTopologyDeclaresIdempotently(t *testing.T) {
	t.Parallel()
	conn := rabbittest.Dial(t, rabbittest.URL(t))
	top := rabbittest.Topology(t, conn, rabbit.TopologyOptions{RetryDelay: time.Second})
	for range 2 { // a second process starting, and a third
		if err := top.Declare(t.Context(), conn); err != nil {
			t.Fatalf("declare again: %v", err)
		}
	}
	for _, r := range top.Routes() {
		for _, q := range []string{top.Queue(r.Consumer), top.RetryQueue(r.Consumer), top.ParkingQueue(r.Consumer)} {
			if n := rabbittest.Messages(t, conn, q); n != 0 {
				t.Errorf("queue %s has %d messages", q, n)
			}
		}
	}
	// Another retry delay is another x-message-ttl: the broker refuses it, and says so.
	other, err := rabbit.NewTopology(rabbit.TopologyOptions{Prefix: top.Prefix(), RetryDelay: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var amqpErr *amqp.Error
	if err := other.Declare(t.Context(), conn); !errors.As(err, &amqpErr) || amqpErr.Code != amqp.PreconditionFailed {
		t.Errorf("declare with another retry delay = %v, want PRECONDITION_FAILED", err)
	}
	// The refusal closed a channel, not the connection.
	if err := conn.Ping(t.Context()); err != nil {
		t.Errorf("ping after the refused declaration: %v", err)
	}
}

func TestPublishConfirmsWithProperties(t *testing.T) {
	t.Parallel()
	conn := rabbittest.Dial(t, rabbittest.URL(t))
	top := rabbittest.Topology(t, conn, rabbit.TopologyOptions{})
	evs := []events.Event{orderPlaced(t), stockLow(t), orderPlaced(t)}
	p := rabbit.NewPublisher(conn, top)
	defer p.Close()
	ids, err := p.Publish(t.Context(), evs)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uuid.UUID{evs[0].ID, evs[1].ID, evs[2].ID}; !slices.Equal(ids, want) {
		t.Fatalf("confirmed %v, want %v", ids, want)
	}
	if n := rabbittest.Messages(t, conn, top.Queue(rabbit.ConsumerOrderConfirmation)); n != 2 {
		t.Errorf("order-confirmation queue has %d messages, want 2", n)
	}
	d, ok := rabbittest.Get(t, conn, top.Queue(rabbit.ConsumerStockAlert))
	if !ok {
		t.Fatal("the stock.low event is not in the stock-alert queue")
	}
	e := evs[1]
	if d.MessageId != e.ID.String() || d.Type != e.Type || d.RoutingKey != e.Type || d.ContentType != "application/json" ||
		d.DeliveryMode != amqp.Persistent || d.Timestamp.Unix() != e.OccurredAt.Unix() || string(d.Body) != string(e.Payload) {
		t.Errorf("message = %+v, want the properties of %+v", d, e)
	}
	if d.Headers["aggregate_id"] != e.AggregateID.String() {
		t.Errorf("headers = %v", d.Headers)
	}
	if ids, err := p.Publish(t.Context(), nil); err != nil || len(ids) != 0 {
		t.Errorf("Publish(nil) = %v, %v", ids, err)
	}
}

func TestPublishDoesNotConfirmUnroutable(t *testing.T) {
	t.Parallel()
	conn := rabbittest.Dial(t, rabbittest.URL(t))
	// Only order.placed has a queue.
	top := rabbittest.Topology(t, conn, rabbit.TopologyOptions{Routes: []rabbit.Route{{Consumer: rabbit.ConsumerOrderConfirmation, RoutingKey: events.TypeOrderPlaced}}})
	evs := []events.Event{orderPlaced(t), stockLow(t), orderPlaced(t), stockLow(t)}
	p := rabbit.NewPublisher(conn, top)
	defer p.Close()
	ids, err := p.Publish(t.Context(), evs)
	if !errors.Is(err, rabbit.ErrNotConfirmed) {
		t.Errorf("Publish = %v, want ErrNotConfirmed", err)
	}
	if want := []uuid.UUID{evs[0].ID, evs[2].ID}; !slices.Equal(ids, want) {
		t.Errorf("confirmed %v, want only the routable %v", ids, want)
	}
	// The channel is still good for the next batch.
	next := orderPlaced(t)
	if ids, err := p.Publish(t.Context(), []events.Event{next}); err != nil || len(ids) != 1 || ids[0] != next.ID {
		t.Errorf("next Publish = %v, %v", ids, err)
	}
}

func TestPublishIsBoundedAndSurvivesAnOutage(t *testing.T) {
	t.Parallel()
	url := rabbittest.URL(t)
	direct := rabbittest.Dial(t, url)
	top := rabbittest.Topology(t, direct, rabbit.TopologyOptions{})
	proxied, proxy := testproxy.ForURL(t, url)
	conn := rabbittest.Dial(t, proxied)
	p := rabbit.NewPublisher(conn, top)
	defer p.Close()

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if ids, err := p.Publish(ctx, []events.Event{orderPlaced(t)}); !errors.Is(err, context.Canceled) || len(ids) != 0 {
		t.Errorf("Publish with an ended context = %v, %v", ids, err)
	}
	if ids, err := p.Publish(t.Context(), []events.Event{orderPlaced(t)}); err != nil || len(ids) != 1 {
		t.Fatalf("Publish = %v, %v", ids, err)
	}

	proxy.Cut()
	waitFor(t, 5*time.Second, "the connection notices the cut", func() bool { return conn.Ping(t.Context()) != nil })
	start := time.Now()
	ids, err := p.Publish(t.Context(), []events.Event{orderPlaced(t)})
	if err == nil || len(ids) != 0 {
		t.Errorf("Publish while cut = %v, %v; want an error and nothing confirmed", ids, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Publish while cut took %v: it should fail at once", took)
	}

	proxy.Restore()
	waitFor(t, 10*time.Second, "the connection comes back", func() bool { return conn.Ping(t.Context()) == nil })
	e := orderPlaced(t)
	if ids, err := p.Publish(t.Context(), []events.Event{e}); err != nil || len(ids) != 1 || ids[0] != e.ID {
		t.Errorf("Publish after the restore = %v, %v", ids, err)
	}
	if n := rabbittest.Messages(t, direct, top.Queue(rabbit.ConsumerOrderConfirmation)); n != 2 {
		t.Errorf("queue has %d messages, want the 2 confirmed", n)
	}
}
