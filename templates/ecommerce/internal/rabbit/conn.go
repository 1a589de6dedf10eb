// Package rabbit carries the shop's events over RabbitMQ: a connection that comes back by itself
// after the broker goes away, the topology (a topic exchange, a work queue per consumer with a
// delayed retry queue and a parking queue), a publisher that reports only what the broker
// confirmed, and a consumer that retries a failed message after a delay and parks it after the
// last attempt.
package rabbit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrNotConnected is returned while the connection is down and being re-established.
var ErrNotConnected = errors.New("rabbit: not connected")

// Options configures a Conn. Zero values take the defaults.
type Options struct {
	// URL is the broker's amqp:// or amqps:// URL. Required.
	URL string
	// Name is the connection name the broker shows (connection_name), e.g. "ecommerce-worker".
	Name string
	// DialTimeout bounds the TCP connect and the AMQP handshake of each attempt. Default 10 s.
	DialTimeout time.Duration
	// Heartbeat is the interval of the keep-alive frames: a broker that stops answering is
	// noticed within about three of them. Default 10 s.
	Heartbeat time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts, which doubles
	// from the one to the other. Defaults 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives the connection's losses and recoveries. Default: discard.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 10 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Conn is a connection to RabbitMQ that re-dials with backoff whenever the broker closes it or
// the network drops it, until Close. Channels do not survive a reconnection: their users open
// new ones (Publisher and Consumer do).
type Conn struct {
	opts   Options
	logger *slog.Logger

	mu   sync.Mutex
	conn *amqp.Connection // nil while reconnecting
	up   chan struct{}    // closed while connected
	// blocked is set while the broker blocks publishing (a resource alarm).
	blocked atomic.Bool

	// life ends with Close: it stops the reconnection attempts.
	life      context.Context
	stop      context.CancelFunc
	closeOnce sync.Once
	watcher   sync.WaitGroup
}

// Dial connects to the broker within ctx and DialTimeout, and keeps the connection up in the
// background until Close. A broker that cannot be reached now is an error: start-up fails fast.
func Dial(ctx context.Context, opts Options) (*Conn, error) {
	if opts.URL == "" {
		return nil, errors.New("rabbit: URL is required")
	}
	if _, err := amqp.ParseURI(opts.URL); err != nil {
		return nil, fmt.Errorf("rabbit: URL: %w", err)
	}
	opts = opts.withDefaults()
	c := &Conn{opts: opts, logger: opts.Logger, up: make(chan struct{})}
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.life, c.stop = context.WithCancel(context.WithoutCancel(ctx))
	c.setUp(conn)
	c.watcher.Go(func() { c.watch(conn) })
	return c, nil
}

// dial makes one connection attempt, bounded by ctx and DialTimeout.
func (c *Conn) dial(ctx context.Context) (*amqp.Connection, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	props := amqp.NewConnectionProperties()
	if c.opts.Name != "" {
		props.SetClientConnectionName(c.opts.Name)
	}
	conn, err := amqp.DialConfig(c.opts.URL, amqp.Config{
		Heartbeat:  c.opts.Heartbeat,
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			var d net.Dialer
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// The handshake is bounded too; the library clears the deadline once it is done.
			deadline, _ := ctx.Deadline()
			if err := nc.SetDeadline(deadline); err != nil {
				_ = nc.Close()
				return nil, err
			}
			return nc, nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("rabbit: dial: %w", err)
	}
	return conn, nil
}

// watch re-dials each time the connection closes, until Close.
func (c *Conn) watch(conn *amqp.Connection) {
	for {
		closed := conn.NotifyClose(make(chan *amqp.Error, 1))
		blocked := conn.NotifyBlocked(make(chan amqp.Blocking, 1))
		go c.trackBlocked(blocked)
		select {
		case <-c.life.Done():
			return
		case err := <-closed:
			c.setDown()
			c.logger.Warn("rabbitmq connection lost", slog.String("connection", c.opts.Name), slog.Any("error", err))
		}
		if conn = c.redial(); conn == nil {
			return
		}
		c.setUp(conn)
		c.logger.Info("rabbitmq reconnected", slog.String("connection", c.opts.Name))
	}
}

// redial dials with doubling waits until it succeeds, or returns nil once Close is called.
// Each wait is shortened by up to a fifth at random, so that the workers a broker restart
// disconnected together do not all come back at the same instant.
func (c *Conn) redial() *amqp.Connection {
	wait := c.opts.MinBackoff
	for {
		timer := time.NewTimer(wait - rand.N(wait/5+1)) //nolint:gosec // jitter, not a secret
		select {
		case <-c.life.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		conn, err := c.dial(c.life)
		if err == nil {
			return conn
		}
		if c.life.Err() != nil {
			return nil
		}
		wait = min(2*wait, c.opts.MaxBackoff)
		c.logger.Warn("rabbitmq reconnection failed", slog.String("connection", c.opts.Name), slog.Duration("retry_in", wait), slog.Any("error", err))
	}
}

func (c *Conn) trackBlocked(blocked <-chan amqp.Blocking) {
	for b := range blocked { // closed with the connection
		c.blocked.Store(b.Active)
		if b.Active {
			c.logger.Warn("rabbitmq blocks publishing", slog.String("connection", c.opts.Name), slog.String("reason", b.Reason))
		} else {
			c.logger.Info("rabbitmq unblocked publishing", slog.String("connection", c.opts.Name))
		}
	}
	c.blocked.Store(false)
}

func (c *Conn) setUp(conn *amqp.Connection) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = conn
	close(c.up)
}

func (c *Conn) setDown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = nil
	c.up = make(chan struct{})
}

// current returns the live connection, or nil while reconnecting.
func (c *Conn) current() *amqp.Connection {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil || c.conn.IsClosed() {
		return nil
	}
	return c.conn
}

// Connected returns a channel that is closed while the connection is up: now, or once it is
// re-established.
func (c *Conn) Connected() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up
}

// Blocked reports whether the broker currently blocks publishing on this connection (a memory
// or disk alarm): a publish would hang until the alarm clears.
func (c *Conn) Blocked() bool { return c.blocked.Load() }

// Channel opens a channel within ctx. While the connection is down it fails at once with
// ErrNotConnected; wait on Connected to know when to try again.
func (c *Conn) Channel(ctx context.Context) (*amqp.Channel, error) {
	conn := c.current()
	if conn == nil {
		return nil, ErrNotConnected
	}
	type result struct {
		ch  *amqp.Channel
		err error
	}
	res := make(chan result, 1)
	go func() {
		ch, err := conn.Channel()
		res <- result{ch, err}
	}()
	select {
	case r := <-res:
		if r.err != nil {
			return nil, fmt.Errorf("rabbit: open channel: %w", r.err)
		}
		return r.ch, nil
	case <-ctx.Done():
		go func() { // the broker may still answer: close what it opens
			if r := <-res; r.ch != nil {
				_ = r.ch.Close()
			}
		}()
		return nil, fmt.Errorf("rabbit: open channel: %w", ctx.Err())
	}
}

// Ping is the readiness check: it fails while the connection is down, and otherwise makes a
// round trip to the broker (opens and closes a channel) within ctx.
func (c *Conn) Ping(ctx context.Context) error {
	ch, err := c.Channel(ctx)
	if err != nil {
		return err
	}
	closeChannel(ch)
	return nil
}

// Close stops reconnecting and closes the connection, waiting at most 5 s for the broker.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.stop()
		c.watcher.Wait()
		c.mu.Lock()
		conn := c.conn
		c.conn = nil
		c.mu.Unlock()
		if conn != nil && !conn.IsClosed() {
			if cerr := conn.CloseDeadline(time.Now().Add(5 * time.Second)); cerr != nil && !errors.Is(cerr, amqp.ErrClosed) {
				err = fmt.Errorf("rabbit: close: %w", cerr)
			}
		}
	})
	return err
}

// call runs fn, a blocking AMQP method, and returns its error, or ctx's error if ctx ends first.
// The AMQP library's methods take no context: an abandoned fn ends when the broker answers or
// the connection drops (heartbeats bound that), and the caller discards the channel.
func call(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeChannel closes ch in the background: channel.close is a round trip that a broker that
// went away never answers, and nothing waits for it.
func closeChannel(ch *amqp.Channel) {
	go func() { _ = ch.Close() }()
}
