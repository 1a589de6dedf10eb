package outbox

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
)

// Publisher publishes a batch of events and returns the IDs the broker confirmed;
// *rabbit.Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, batch []events.Event) ([]uuid.UUID, error)
}

// Recorder records the relay's work; internal/metrics implements it.
type Recorder interface {
	// Relayed is called after each round that marked events published, with their number.
	Relayed(n int)
	// RelayFailed is called after each round that failed (broker or database).
	RelayFailed()
}

type nopRecorder struct{}

func (nopRecorder) Relayed(int)  {}
func (nopRecorder) RelayFailed() {}

// Defaults of Options.
const (
	DefaultBatchSize    = 100
	DefaultPollInterval = time.Second
	DefaultMaxBackoff   = 30 * time.Second
	DefaultTimeout      = 30 * time.Second
)

// Options configures a Relay. Zero values take the defaults.
type Options struct {
	// Store and Publisher are required.
	Store     Store
	Publisher Publisher
	// BatchSize is how many events one round locks and publishes. Default 100.
	BatchSize int
	// PollInterval is the wait after a round that found fewer than BatchSize events. Default 1 s.
	PollInterval time.Duration
	// MaxBackoff caps the wait after failed rounds, which doubles from PollInterval. Default 30 s.
	MaxBackoff time.Duration
	// Timeout bounds one round (lock, publish, confirms, mark): the rows stay locked meanwhile.
	// Default 30 s.
	Timeout time.Duration
	// Logger default: discard. Recorder default: none.
	Logger   *slog.Logger
	Recorder Recorder
}

// Relay moves the outbox to the broker: it relays batches while they come full, waits
// PollInterval when the outbox is drained, and backs off while rounds fail. Several relays (one
// per worker) share an outbox: each round locks its own rows.
type Relay struct {
	opts Options
}

// NewRelay validates opts and returns a Relay.
func NewRelay(opts Options) (*Relay, error) {
	if opts.Store == nil || opts.Publisher == nil {
		return nil, errors.New("outbox: relay needs a Store and a Publisher")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.MaxBackoff < opts.PollInterval {
		opts.MaxBackoff = max(DefaultMaxBackoff, opts.PollInterval)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Recorder == nil {
		opts.Recorder = nopRecorder{}
	}
	return &Relay{opts: opts}, nil
}

// Run relays until ctx ends, then returns nil. An event is marked published only once the
// broker confirmed it, so a broker outage leaves events pending, never lost: they go out once
// it is back (some twice, when a confirm came but the mark did not commit; consumers
// deduplicate on the event ID).
func (r *Relay) Run(ctx context.Context) error {
	wait := time.Duration(0)
	failures := 0
	for {
		if !sleep(ctx, wait) {
			return nil
		}
		n, err := r.round(ctx)
		select {
		case <-ctx.Done():
			return nil // stopping: the round's error is the stop's
		default:
		}
		switch {
		case err != nil && n > 0:
			// Part of the batch went out (one event unroutable or nacked, say): no backoff,
			// or one bad event would throttle every good one behind it.
			wait = r.opts.PollInterval
			r.opts.Recorder.RelayFailed()
			r.opts.Logger.WarnContext(ctx, "outbox relay published part of a batch",
				slog.Int("marked", n), slog.Any("error", err))
		case err != nil:
			failures++
			wait = backoff(r.opts.PollInterval, r.opts.MaxBackoff, failures)
			r.opts.Recorder.RelayFailed()
			r.opts.Logger.WarnContext(ctx, "outbox relay failed; backing off",
				slog.Int("marked", n), slog.Int("failures", failures), slog.Duration("retry_in", wait), slog.Any("error", err))
		case n >= r.opts.BatchSize:
			wait = 0 // more may be waiting
		default:
			wait = r.opts.PollInterval
		}
		if failures > 0 && (err == nil || n > 0) {
			r.opts.Logger.InfoContext(ctx, "outbox relay recovered", slog.Int("failures", failures))
			failures = 0
		}
		if n > 0 {
			r.opts.Recorder.Relayed(n)
		}
	}
}

// round relays one batch within Timeout.
func (r *Relay) round(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	return r.opts.Store.Relay(ctx, r.opts.BatchSize, r.opts.Publisher.Publish)
}

// backoff is the wait after the failures-th failure in a row: base doubled each time, capped.
func backoff(base, ceiling time.Duration, failures int) time.Duration {
	wait := base
	for i := 1; i < failures && wait < ceiling; i++ {
		wait *= 2
	}
	return min(wait, ceiling)
}

// sleep waits d, and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
