package rabbit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"example.com/gopher-template/ecommerce/internal/events"
)

// The consumers of the shop's events.
const (
	ConsumerOrderConfirmation = "order-confirmation"
	ConsumerStockAlert        = "stock-alert"
)

// Route is a consumer and the routing key (event type) its work queue is bound to.
type Route struct {
	Consumer   string
	RoutingKey string
}

// DefaultRoutes are the shop's consumers.
func DefaultRoutes() []Route {
	return []Route{
		{Consumer: ConsumerOrderConfirmation, RoutingKey: events.TypeOrderPlaced},
		{Consumer: ConsumerStockAlert, RoutingKey: events.TypeStockLow},
	}
}

// TopologyOptions configures a Topology. Zero values take the defaults.
type TopologyOptions struct {
	// Prefix starts every exchange and queue name, e.g. the app name "ecommerce". Required:
	// letters, digits and ".-_:", starting with a letter or digit, at most 100 bytes.
	Prefix string
	// Routes are the consumers. Default DefaultRoutes().
	Routes []Route
	// RetryDelay is how long a failed message waits in the retry queue before it is delivered
	// again. Default 10 s. It is the retry queue's x-message-ttl: changing it on a broker where
	// the queues exist makes Declare fail until the retry queues are deleted.
	RetryDelay time.Duration
	// MaxAttempts is how many times a message is handled before it is parked. Default 5.
	MaxAttempts int
}

// Defaults of TopologyOptions.
const (
	DefaultRetryDelay  = 10 * time.Second
	DefaultMaxAttempts = 5
)

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)

// Topology names the exchanges and queues of a prefix and declares them.
//
// Events are published to the topic exchange "<prefix>.events". Each consumer has:
//   - a work queue "<prefix>.<consumer>", bound to the events exchange with the consumer's
//     routing key, and to the retry exchange "<prefix>.retry" with "<consumer>";
//   - a retry queue "<prefix>.<consumer>.retry", bound to the retry exchange with
//     "<consumer>.retry": a message the consumer rejects dead-letters there, waits RetryDelay
//     (x-message-ttl), then dead-letters back to the work queue through the retry exchange;
//   - a parking queue "<prefix>.<consumer>.parking", bound to the retry exchange with
//     "<consumer>.parking", where the consumer puts what it gives up on, for a human to look at
//     (headers x-parked-reason and x-parked-attempts say why). The attempts are counted from
//     the x-death header: to replay a parked message, publish it again without that header.
//
// The queues are durable quorum queues: RabbitMQ 3.10 is the first version whose quorum queues
// have message TTL and at-least-once dead-lettering, so a message in the retry cycle survives a
// broker restart and is never dropped between the queues (classic queues dead-letter at most
// once), and quorum queues are the replicated queue type from 3.8 on.
type Topology struct {
	prefix      string
	routes      []Route
	retryDelay  time.Duration
	maxAttempts int
}

// NewTopology validates opts and returns the topology they describe.
func NewTopology(opts TopologyOptions) (*Topology, error) {
	if !prefixPattern.MatchString(opts.Prefix) {
		return nil, fmt.Errorf("rabbit: prefix %q must be 1-100 letters, digits or \".-_:\", starting with a letter or digit", opts.Prefix)
	}
	if opts.Routes == nil {
		opts.Routes = DefaultRoutes()
	}
	seen := map[string]bool{}
	for _, r := range opts.Routes {
		if !prefixPattern.MatchString(r.Consumer) || r.RoutingKey == "" {
			return nil, fmt.Errorf("rabbit: route %+v needs a consumer name like a prefix and a routing key", r)
		}
		if seen[r.Consumer] {
			return nil, fmt.Errorf("rabbit: consumer %q routed twice", r.Consumer)
		}
		seen[r.Consumer] = true
	}
	if opts.RetryDelay < 0 || opts.MaxAttempts < 0 {
		return nil, errors.New("rabbit: RetryDelay and MaxAttempts must not be negative")
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = DefaultRetryDelay
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	return &Topology{prefix: opts.Prefix, routes: opts.Routes, retryDelay: opts.RetryDelay, maxAttempts: opts.MaxAttempts}, nil
}

// Prefix is the names' prefix.
func (t *Topology) Prefix() string { return t.prefix }

// Routes are the consumers.
func (t *Topology) Routes() []Route { return append([]Route(nil), t.routes...) }

// RetryDelay is how long a failed message waits before its next attempt.
func (t *Topology) RetryDelay() time.Duration { return t.retryDelay }

// MaxAttempts is how many times a message is handled before it is parked.
func (t *Topology) MaxAttempts() int { return t.maxAttempts }

// Exchange is the topic exchange events are published to.
func (t *Topology) Exchange() string { return t.prefix + ".events" }

// RetryExchange is the direct exchange between the work, retry and parking queues.
func (t *Topology) RetryExchange() string { return t.prefix + ".retry" }

// Queue is the consumer's work queue.
func (t *Topology) Queue(consumer string) string { return t.prefix + "." + consumer }

// RetryQueue is where the consumer's failed messages wait RetryDelay.
func (t *Topology) RetryQueue(consumer string) string { return t.Queue(consumer) + ".retry" }

// ParkingQueue is where the consumer parks the messages it gives up on.
func (t *Topology) ParkingQueue(consumer string) string { return t.Queue(consumer) + ".parking" }

func (t *Topology) route(consumer string) (Route, bool) {
	for _, r := range t.routes {
		if r.Consumer == consumer {
			return r, true
		}
	}
	return Route{}, false
}

// Declare declares the exchanges, queues and bindings within ctx. Declaring what exists with
// the same arguments does nothing, so every process declares at start-up.
func (t *Topology) Declare(ctx context.Context, conn *Conn) error {
	return t.onChannel(ctx, conn, "declare", func(ch *amqp.Channel) error {
		for _, x := range []struct{ name, kind string }{{t.Exchange(), amqp.ExchangeTopic}, {t.RetryExchange(), amqp.ExchangeDirect}} {
			if err := ch.ExchangeDeclare(x.name, x.kind, true, false, false, false, nil); err != nil {
				return fmt.Errorf("exchange %s: %w", x.name, err)
			}
		}
		for _, r := range t.routes {
			if err := t.declareRoute(ch, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func (t *Topology) declareRoute(ch *amqp.Channel, r Route) error {
	// At-least-once dead-lettering needs overflow reject-publish; no length limit is set, so
	// nothing is ever refused.
	deadLetter := func(key string) amqp.Table {
		return amqp.Table{
			amqp.QueueTypeArg:           amqp.QueueTypeQuorum,
			"x-dead-letter-exchange":    t.RetryExchange(),
			"x-dead-letter-routing-key": key,
			"x-dead-letter-strategy":    "at-least-once",
			amqp.QueueOverflowArg:       amqp.QueueOverflowRejectPublish,
		}
	}
	retryArgs := deadLetter(r.Consumer)
	retryArgs[amqp.QueueMessageTTLArg] = t.retryDelay.Milliseconds()
	queues := []struct {
		name string
		args amqp.Table
		// bindings: exchange → routing key
		bindings [][2]string
	}{
		{t.Queue(r.Consumer), deadLetter(r.Consumer + ".retry"), [][2]string{{t.Exchange(), r.RoutingKey}, {t.RetryExchange(), r.Consumer}}},
		{t.RetryQueue(r.Consumer), retryArgs, [][2]string{{t.RetryExchange(), r.Consumer + ".retry"}}},
		{t.ParkingQueue(r.Consumer), amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum}, [][2]string{{t.RetryExchange(), r.Consumer + ".parking"}}},
	}
	for _, q := range queues {
		if _, err := ch.QueueDeclare(q.name, true, false, false, false, q.args); err != nil {
			return fmt.Errorf("queue %s: %w", q.name, err)
		}
		for _, b := range q.bindings {
			if err := ch.QueueBind(q.name, b[1], b[0], false, nil); err != nil {
				return fmt.Errorf("bind %s to %s with %q: %w", q.name, b[0], b[1], err)
			}
		}
	}
	return nil
}

// Delete deletes the queues, with the messages in them, and the exchanges within ctx; what does
// not exist is skipped. Tests tear their topology down with it.
func (t *Topology) Delete(ctx context.Context, conn *Conn) error {
	return t.onChannel(ctx, conn, "delete", func(ch *amqp.Channel) error {
		for _, r := range t.routes {
			for _, q := range []string{t.Queue(r.Consumer), t.RetryQueue(r.Consumer), t.ParkingQueue(r.Consumer)} {
				if _, err := ch.QueueDelete(q, false, false, false); err != nil {
					return fmt.Errorf("queue %s: %w", q, err)
				}
			}
		}
		for _, x := range []string{t.Exchange(), t.RetryExchange()} {
			if err := ch.ExchangeDelete(x, false, false); err != nil {
				return fmt.Errorf("exchange %s: %w", x, err)
			}
		}
		return nil
	})
}

// onChannel runs fn on a channel of its own within ctx, then closes the channel.
func (t *Topology) onChannel(ctx context.Context, conn *Conn, what string, fn func(*amqp.Channel) error) error {
	ch, err := conn.Channel(ctx)
	if err != nil {
		return fmt.Errorf("rabbit: %s topology %s: %w", what, t.prefix, err)
	}
	defer closeChannel(ch)
	if err := call(ctx, func() error { return fn(ch) }); err != nil {
		return fmt.Errorf("rabbit: %s topology %s: %w", what, t.prefix, err)
	}
	return nil
}
