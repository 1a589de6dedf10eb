// Package rabbittest gives integration tests their own topology on the real RabbitMQ named by
// AMQP_URL: a random prefix per test, everything deleted when the test ends. It skips the test,
// saying why, when AMQP_URL is unset.
package rabbittest

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"example.com/gopher-template/ecommerce/internal/rabbit"
)

const cleanupTimeout = 30 * time.Second

// URL returns AMQP_URL, or skips the test when it is unset.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("AMQP_URL")
	if u == "" {
		tb.Skip("AMQP_URL is not set; set it to a RabbitMQ URL, e.g. amqp://guest:guest@127.0.0.1:5672/, to run this test")
	}
	return u
}

// Prefix is a random topology prefix of the test's own.
func Prefix() string { return "test_ecommerce_" + strings.ToLower(rand.Text()[:12]) }

// Dial connects to url, named after the test; the connection is closed when the test ends.
func Dial(tb testing.TB, url string) *rabbit.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 10*time.Second)
	defer cancel()
	conn, err := rabbit.Dial(ctx, rabbit.Options{
		URL:  url,
		Name: tb.Name(),
		// Short waits: tests cut connections and expect them back quickly.
		MinBackoff: 50 * time.Millisecond,
		MaxBackoff: 500 * time.Millisecond,
	})
	if err != nil {
		tb.Fatalf("dial RabbitMQ: %v", err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return conn
}

// Topology declares a topology with a random prefix (opts.Prefix is ignored) through conn, and
// deletes it, queues and messages included, when the test ends.
func Topology(tb testing.TB, conn *rabbit.Conn, opts rabbit.TopologyOptions) *rabbit.Topology {
	tb.Helper()
	opts.Prefix = Prefix()
	t, err := rabbit.NewTopology(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := t.Delete(ctx, conn); err != nil {
			tb.Errorf("delete topology %s: %v", t.Prefix(), err)
		}
	})
	ctx, cancel := context.WithTimeout(tb.Context(), 10*time.Second)
	defer cancel()
	if err := t.Declare(ctx, conn); err != nil {
		tb.Fatal(err)
	}
	return t
}

// Messages returns how many messages are ready in queue (not counting those delivered and
// not yet acked).
func Messages(tb testing.TB, conn *rabbit.Conn, queue string) int {
	tb.Helper()
	var n int
	onChannel(tb, conn, func(ch *amqp.Channel) error {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		n = q.Messages
		return err
	})
	return n
}

// Get takes the next message from queue (acked at once), and reports whether there was one.
func Get(tb testing.TB, conn *rabbit.Conn, queue string) (amqp.Delivery, bool) {
	tb.Helper()
	var (
		d  amqp.Delivery
		ok bool
	)
	onChannel(tb, conn, func(ch *amqp.Channel) error {
		var err error
		d, ok, err = ch.Get(queue, true)
		return err
	})
	return d, ok
}

// Publish publishes msg to exchange with key, and waits for the broker's confirm.
func Publish(tb testing.TB, conn *rabbit.Conn, exchange, key string, msg amqp.Publishing) {
	tb.Helper()
	onChannel(tb, conn, func(ch *amqp.Channel) error {
		if err := ch.Confirm(false); err != nil {
			return err
		}
		dc, err := ch.PublishWithDeferredConfirm(exchange, key, false, false, msg)
		if err != nil {
			return err
		}
		if !dc.Wait() {
			tb.Errorf("publish to %s with %q: nacked", exchange, key)
		}
		return nil
	})
}

func onChannel(tb testing.TB, conn *rabbit.Conn, fn func(*amqp.Channel) error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 10*time.Second)
	defer cancel()
	ch, err := conn.Channel(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = ch.Close() }()
	if err := fn(ch); err != nil {
		tb.Fatal(err)
	}
}
