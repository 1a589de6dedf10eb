package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// drainWait bounds how long Close waits for a buffered message it gives back.
const drainWait = 50 * time.Millisecond

// Source pulls deliveries from the workers' consumer continuously: it keeps up to prefetch
// messages requested ahead, so that a worker finishing a job finds the next one waiting instead
// of asking the server for it. It implements worker.Source.
type Source struct {
	cons     jetstream.Consumer
	prefetch int
	msgs     jetstream.MessagesContext
}

// NewSource starts pulling from cons, with up to prefetch messages requested ahead. A message
// waits in that buffer at most as long as a job takes to free a slot, and its ack wait runs
// meanwhile: keep prefetch near the worker's concurrency.
func NewSource(cons jetstream.Consumer, prefetch int) (*Source, error) {
	s := &Source{cons: cons, prefetch: prefetch}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Source) open() error {
	msgs, err := s.cons.Messages(
		jetstream.PullMaxMessages(s.prefetch),
		// The connection's handlers log outages; the iterator resumes by itself after one.
		jetstream.WithMessagesErrOnMissingHeartbeat(false),
	)
	if err != nil {
		return fmt.Errorf("start pulling: %w", err)
	}
	s.msgs = msgs
	return nil
}

// Next implements worker.Source. It is not safe for concurrent use.
func (s *Source) Next(ctx context.Context) (jobs.Delivery, error) {
	msg, err := s.msgs.Next(jetstream.NextContext(ctx))
	switch {
	case err == nil:
		return newDelivery(msg), nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("next: %w", ctx.Err())
	case errors.Is(err, jetstream.ErrMsgIteratorClosed):
		// The consumer went away (deleted, or the connection closed): pull afresh next time.
		if openErr := s.open(); openErr != nil {
			err = errors.Join(err, openErr)
		}
	}
	return nil, fmt.Errorf("next: %w", err)
}

// Close stops pulling and gives the messages buffered but not handed out back to the queue, so
// that another worker gets them now rather than after their ack wait.
func (s *Source) Close() {
	s.msgs.Drain()
	for {
		msg, err := s.msgs.Next(jetstream.NextMaxWait(drainWait))
		if err != nil {
			return
		}
		_ = msg.Nak() // best effort: unacknowledged, it comes back after its ack wait anyway
	}
}

// delivery adapts a JetStream message to jobs.Delivery.
type delivery struct {
	msg     jetstream.Msg
	attempt int
}

func newDelivery(msg jetstream.Msg) *delivery {
	d := &delivery{msg: msg, attempt: 1}
	if meta, err := msg.Metadata(); err == nil && meta.NumDelivered > 0 {
		d.attempt = int(min(meta.NumDelivered, 1<<30)) //nolint:gosec // G115: bounded above
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
