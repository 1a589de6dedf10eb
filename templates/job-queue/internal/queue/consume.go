package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Source pulls deliveries from the workers' consumer. It implements worker.Source.
type Source struct {
	cons jetstream.Consumer
}

// NewSource returns a Source reading from cons.
func NewSource(cons jetstream.Consumer) *Source { return &Source{cons: cons} }

// Fetch returns up to limit messages. It first takes what is waiting without blocking (a batch
// under load); on an empty queue it long-polls for a single message until ctx is done.
func (s *Source) Fetch(ctx context.Context, limit int) ([]jobs.Delivery, error) {
	batch, err := s.cons.FetchNoWait(limit)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	var out []jobs.Delivery
	for msg := range batch.Messages() {
		out = append(out, newDelivery(msg))
	}
	if len(out) > 0 {
		return out, nil
	}
	if err := batch.Error(); err != nil && !isEmptyFetch(err) {
		return nil, fmt.Errorf("fetch: %w", err)
	}

	for {
		msg, err := s.cons.Next(jetstream.FetchContext(ctx))
		switch {
		case err == nil:
			return []jobs.Delivery{newDelivery(msg)}, nil
		case ctx.Err() != nil:
			return nil, fmt.Errorf("fetch: %w", ctx.Err())
		case isEmptyFetch(err):
			continue // the pull request expired empty: ask again
		default:
			return nil, fmt.Errorf("fetch: %w", err)
		}
	}
}

func isEmptyFetch(err error) bool {
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, context.DeadlineExceeded)
}

// delivery adapts a JetStream message to jobs.Delivery.
type delivery struct {
	msg     jetstream.Msg
	attempt int
}

func newDelivery(msg jetstream.Msg) *delivery {
	d := &delivery{msg: msg, attempt: 1}
	if meta, err := msg.Metadata(); err == nil && meta.NumDelivered > 0 {
		d.attempt = int(min(meta.NumDelivered, uint64(jobs.MaxAttemptsLimit+1))) //nolint:gosec // G115: bounded above
	}
	return d
}

func (d *delivery) Data() []byte      { return d.msg.Data() }
func (d *delivery) Attempt() int      { return d.attempt }
func (d *delivery) Ack() error        { return wrap("ack", d.msg.Ack()) }
func (d *delivery) Term() error       { return wrap("term", d.msg.Term()) }
func (d *delivery) InProgress() error { return wrap("in progress", d.msg.InProgress()) }

func (d *delivery) Retry(delay time.Duration) error {
	if delay <= 0 {
		return wrap("nak", d.msg.Nak())
	}
	return wrap("nak with delay", d.msg.NakWithDelay(delay))
}

func wrap(op string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
