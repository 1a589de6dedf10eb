package rabbit

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"example.com/gopher-template/ecommerce/internal/events"
)

// Handler applies one event. An error retries the message after the topology's RetryDelay,
// until MaxAttempts; an error with a Permanent() bool method returning true (anywhere in its
// chain) parks it at once. Handlers must be idempotent on e.ID: RabbitMQ delivers at least
// once, and a message whose consumer died after the effect is delivered again.
type Handler func(ctx context.Context, e events.Event) error

// Outcome is what became of a delivery, as recorded.
type Outcome string

// Outcomes.
const (
	// OutcomeAcked: handled and acked.
	OutcomeAcked Outcome = "acked"
	// OutcomeRetried: the handler failed; the message waits in the retry queue.
	OutcomeRetried Outcome = "retried"
	// OutcomeParked: malformed, failed permanently or for the last time; in the parking queue.
	OutcomeParked Outcome = "parked"
	// OutcomeUnsettled: the ack or reject did not reach the broker (its channel was gone,
	// or the consumer stopped before the handler finished): the broker delivers the message
	// again.
	OutcomeUnsettled Outcome = "unsettled"
)

// Recorder records the consumers' work; internal/metrics implements it.
type Recorder interface {
	// Handled is called once per delivery, with how long it took from delivery to settlement.
	Handled(consumer string, outcome Outcome, took time.Duration)
}

type nopRecorder struct{}

func (nopRecorder) Handled(string, Outcome, time.Duration) {}

// ConsumerOptions configures a Consumer. Zero values take the defaults.
type ConsumerOptions struct {
	// Conn and Topology are required.
	Conn     *Conn
	Topology *Topology
	// PublishConn carries what the consumer publishes (a message to its parking queue). Default
	// Conn; give it another connection, so that a broker blocking publishers (a memory or disk
	// alarm) does not also stall the acks on Conn.
	PublishConn *Conn
	// Consumer is the route to consume, e.g. ConsumerOrderConfirmation. Required.
	Consumer string
	// Handler is required.
	Handler Handler
	// Concurrency bounds the handlers running at once. Default 4.
	Concurrency int
	// Prefetch is how many unacked messages the broker sends ahead (QoS). Default
	// 2 × Concurrency.
	Prefetch int
	// HandlerTimeout bounds one handler call. Default 30 s.
	HandlerTimeout time.Duration
	// StopTimeout is how long Run waits, once its context ends, for the handlers in flight.
	// Default 10 s.
	StopTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts to subscribe again after the
	// channel was lost. Defaults 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// Logger default: discard. Recorder default: none.
	Logger   *slog.Logger
	Recorder Recorder
}

// Consumer consumes a work queue with manual acks: it runs up to Concurrency handlers at once
// and settles each delivery after its handler (ack, retry through the delay queue, or park).
type Consumer struct {
	opts   ConsumerOptions
	queue  string
	logger *slog.Logger
	parker *Publisher
	// parkTo is the parking queue's routing key on the retry exchange.
	parkTo string

	slots    chan struct{} // one per running handler, across channels
	inflight sync.WaitGroup
}

// NewConsumer validates opts and returns a consumer of the route opts.Consumer.
func NewConsumer(opts ConsumerOptions) (*Consumer, error) {
	if opts.Conn == nil || opts.Topology == nil || opts.Handler == nil {
		return nil, errors.New("rabbit: consumer needs Conn, Topology and Handler")
	}
	if _, ok := opts.Topology.route(opts.Consumer); !ok {
		return nil, fmt.Errorf("rabbit: the topology has no consumer %q", opts.Consumer)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Prefetch <= 0 {
		opts.Prefetch = 2 * opts.Concurrency
	}
	opts.Prefetch = min(opts.Prefetch, 65535)
	if opts.HandlerTimeout <= 0 {
		opts.HandlerTimeout = 30 * time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 10 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(30*time.Second, opts.MinBackoff)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Recorder == nil {
		opts.Recorder = nopRecorder{}
	}
	return &Consumer{
		opts:   opts,
		queue:  opts.Topology.Queue(opts.Consumer),
		logger: opts.Logger.With(slog.String("consumer", opts.Consumer)),
		parker: &Publisher{conn: cmp.Or(opts.PublishConn, opts.Conn), exchange: opts.Topology.RetryExchange()},
		parkTo: opts.Consumer + ".parking",
		slots:  make(chan struct{}, opts.Concurrency),
	}, nil
}

// Run consumes until ctx ends, subscribing again whenever the channel or the connection is
// lost. Then it stops taking deliveries, hands back the ones it had not started, waits up to
// StopTimeout for the handlers in flight, cancels the contexts of those still running, and
// closes the channel: their messages go back to the queue, and their late acks fail without
// touching any other channel. It returns nil after a stop.
func (c *Consumer) Run(ctx context.Context) error {
	// Handlers outlive ctx until the stop deadline: a message half done is better finished.
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	defer c.parker.Close()

	wait := c.opts.MinBackoff
	var last *session
	for ctx.Err() == nil {
		s, err := c.subscribe(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, ErrNotConnected) {
				// The connection backs off by itself: try again soon after it is back.
				c.sleep(ctx, c.opts.MinBackoff)
				continue
			}
			c.logger.WarnContext(ctx, "subscribe failed", slog.String("queue", c.queue), slog.Duration("retry_in", wait), slog.Any("error", err))
			c.sleep(ctx, wait)
			wait = min(2*wait, c.opts.MaxBackoff)
			continue
		}
		wait = c.opts.MinBackoff
		last = s
		if c.consume(ctx, handlerCtx, s) {
			break // stopping
		}
		c.logger.WarnContext(ctx, "consumer channel lost; subscribing again", slog.String("queue", c.queue))
		last = nil
	}

	done := make(chan struct{})
	go func() { c.inflight.Wait(); close(done) }()
	timer := time.NewTimer(c.opts.StopTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		c.logger.WarnContext(ctx, "handlers still running at the stop deadline; their messages will be delivered again", slog.Duration("stop_timeout", c.opts.StopTimeout))
		cancelHandlers()
	}
	if last != nil {
		last.close()
	}
	return nil
}

// sleep waits d or until ctx ends, and for the connection to be up.
func (c *Consumer) sleep(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return
	case <-timer.C:
	}
	select {
	case <-ctx.Done():
	case <-c.opts.Conn.Connected():
	}
}

// session is one channel's subscription.
type session struct {
	ch         *amqp.Channel
	tag        string
	deliveries <-chan amqp.Delivery
	// mu serializes the calls on ch: the library's channels are not safe for concurrent use.
	mu     sync.Mutex
	closed bool
}

// settle runs fn (an ack or a reject) on the session's channel, unless the session closed it.
func (s *session) settle(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return amqp.ErrClosed
	}
	return fn()
}

// close closes the channel in the background; later settlements fail with amqp.ErrClosed.
func (s *session) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		closeChannel(s.ch)
	}
}

func (c *Consumer) subscribe(ctx context.Context) (*session, error) {
	ch, err := c.opts.Conn.Channel(ctx)
	if err != nil {
		return nil, err
	}
	s := &session{ch: ch, tag: c.opts.Consumer + "-" + rand.Text()[:10]}
	err = call(ctx, func() error {
		if err := ch.Qos(c.opts.Prefetch, 0, false); err != nil {
			return fmt.Errorf("qos: %w", err)
		}
		d, err := ch.Consume(c.queue, s.tag, false, false, false, false, nil)
		if err != nil {
			return fmt.Errorf("consume %s: %w", c.queue, err)
		}
		s.deliveries = d
		return nil
	})
	if err != nil {
		closeChannel(ch)
		return nil, fmt.Errorf("rabbit: subscribe: %w", err)
	}
	return s, nil
}

// consume hands s's deliveries to handlers until ctx ends (it returns true after cancelling
// the subscription) or the channel is lost (false).
func (c *Consumer) consume(ctx, handlerCtx context.Context, s *session) (stopping bool) {
	for {
		select {
		case <-ctx.Done():
			c.unsubscribe(ctx, s)
			return true
		case d, ok := <-s.deliveries:
			if !ok {
				s.close()
				return false
			}
			select {
			case c.slots <- struct{}{}:
			case <-ctx.Done():
				_ = s.settle(func() error { return d.Nack(false, true) })
				c.unsubscribe(ctx, s)
				return true
			}
			c.inflight.Go(func() {
				defer func() { <-c.slots }()
				c.handle(handlerCtx, s, d)
			})
		}
	}
}

// unsubscribe cancels the subscription, so that the broker sends nothing more, and hands the
// deliveries not started back to the queue.
func (c *Consumer) unsubscribe(ctx context.Context, s *session) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.StopTimeout)
	defer cancel()
	// Not under s.mu: basic.cancel is a round trip, and the acks meanwhile are safe (the
	// library only mixes up concurrent round trips, and this loop is the only one making any).
	if err := call(ctx, func() error { return s.ch.Cancel(s.tag, false) }); err != nil {
		c.logger.WarnContext(ctx, "cancel the subscription", slog.Any("error", err))
		return
	}
	for d := range s.deliveries { // closed after the cancel
		_ = s.settle(func() error { return d.Nack(false, true) })
	}
}

// handle runs the handler on d and settles d.
func (c *Consumer) handle(ctx context.Context, s *session, d amqp.Delivery) {
	start := time.Now()
	n := attempt(d.Headers, c.queue)
	log := c.logger.With(slog.String("message_id", d.MessageId), slog.String("type", d.Type), slog.Int("attempt", n))
	e, err := decode(d)
	if err == nil {
		err = c.run(ctx, e)
		if err != nil && ctx.Err() != nil {
			// Stopped past the deadline: not an attempt. The broker delivers it again.
			log.WarnContext(ctx, "handler stopped", slog.Any("error", err))
			_ = s.settle(func() error { return d.Nack(false, true) })
			c.opts.Recorder.Handled(c.opts.Consumer, OutcomeUnsettled, time.Since(start))
			return
		}
	}
	outcome := c.settle(ctx, log, s, d, decide(err, n, c.opts.Topology.MaxAttempts()), n, err)
	c.opts.Recorder.Handled(c.opts.Consumer, outcome, time.Since(start))
}

// run calls the handler within HandlerTimeout; a panic is an error.
func (c *Consumer) run(ctx context.Context, e events.Event) (err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.HandlerTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rabbit: handler panicked: %v", r)
		}
	}()
	return c.opts.Handler(ctx, e)
}

func (c *Consumer) settle(ctx context.Context, log *slog.Logger, s *session, d amqp.Delivery, act action, n int, cause error) Outcome {
	if act == actionPark {
		// Parked only once the parking queue has it; a failed park is retried after the
		// delay instead, not dropped.
		if err := c.park(ctx, d, n, cause); err != nil {
			log.ErrorContext(ctx, "park failed; retrying after the delay", slog.Any("error", err), slog.Any("cause", cause))
			act = actionRetry
		} else {
			log.ErrorContext(ctx, "message parked", slog.String("queue", c.opts.Topology.ParkingQueue(c.opts.Consumer)), slog.Any("error", cause))
		}
	}
	var err error
	outcome := OutcomeAcked
	switch act {
	case actionAck, actionPark:
		err = s.settle(func() error { return d.Ack(false) })
		if act == actionPark {
			outcome = OutcomeParked
		}
	case actionRetry:
		err = s.settle(func() error { return d.Reject(false) })
		outcome = OutcomeRetried
		if cause != nil && !errors.Is(cause, ErrMalformed) && !permanent(cause) {
			log.WarnContext(ctx, "handler failed; retrying after the delay", slog.Duration("delay", c.opts.Topology.RetryDelay()), slog.Any("error", cause))
		}
	}
	if err != nil {
		log.WarnContext(ctx, "settle failed; the broker delivers the message again", slog.String("outcome", string(outcome)), slog.Any("error", err))
		return OutcomeUnsettled
	}
	return outcome
}

// park puts a copy of d in the parking queue and waits for the broker's confirm.
func (c *Consumer) park(ctx context.Context, d amqp.Delivery, n int, cause error) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.HandlerTimeout)
	defer cancel()
	acked, err := c.parker.publish(ctx, []outgoing{{exchange: c.opts.Topology.RetryExchange(), key: c.parkTo, msg: parked(d, n, cause)}})
	if err != nil {
		return err
	}
	if !acked[0] {
		return ErrNotConfirmed
	}
	return nil
}
