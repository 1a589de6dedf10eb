package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// maxSweep bounds the messages one sweep looks at.
const maxSweep = 1000

// Sweeper removes orphans from the jobs stream: messages the consumer will never deliver again,
// because it counts them as acknowledged, yet which are still stored. A server that dies
// without a clean shutdown (kill -9, power loss) can come back so: it persists the consumer's
// acknowledgements and the stream's removals separately. Without the sweep such messages stay
// in the work queue for good, and its depth never returns to zero.
//
// An orphan whose job is final is deleted. One whose job is not (its record lost with the
// server) is published again, then deleted, so that no job is lost.
type Sweeper struct {
	js     jetstream.JetStream
	names  Names
	store  *Store
	logger *slog.Logger
}

// NewSweeper returns a Sweeper of the resources in n.
func NewSweeper(js jetstream.JetStream, n Names, store *Store, logger *slog.Logger) *Sweeper {
	return &Sweeper{js: js, names: n, store: store, logger: logger}
}

// Every sweeps every interval until ctx ends.
func (s *Sweeper) Every(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.logger.WarnContext(ctx, "sweep of the jobs stream failed", slog.Any("error", err))
			} else if n > 0 {
				s.logger.InfoContext(ctx, "swept orphaned messages from the jobs stream", slog.Int("messages", n))
			}
		}
	}
}

// Sweep removes the orphans it finds and returns how many. A message is an orphan if its
// sequence is at or below the consumer's acknowledgement floor, or, while the consumer has
// nothing to deliver and nothing unacknowledged, at or below the last sequence it delivered.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	stream, err := s.js.Stream(ctx, s.names.Stream)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	state := stream.CachedInfo().State
	if state.Msgs == 0 {
		return 0, nil
	}
	cons, err := stream.Consumer(ctx, s.names.Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return 0, nil // no worker has started: nothing is orphaned
	}
	if err != nil {
		return 0, fmt.Errorf("consumer info: %w", err)
	}
	info := cons.CachedInfo()
	upTo := info.AckFloor.Stream
	if info.NumPending == 0 && info.NumAckPending == 0 {
		upTo = info.Delivered.Stream
	}

	swept := 0
	for seq, looked := state.FirstSeq, 0; seq <= upTo && looked < maxSweep; looked++ {
		msg, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(s.names.jobSubjects()))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return swept, fmt.Errorf("get message %d: %w", seq, err)
		}
		if msg.Sequence > upTo {
			break
		}
		if err := s.settle(ctx, stream, msg); err != nil {
			return swept, err
		}
		swept++
		seq = msg.Sequence + 1
	}
	return swept, nil
}

// settle deletes an orphan, publishing its job again first unless the job is final.
func (s *Sweeper) settle(ctx context.Context, stream jetstream.Stream, msg *jetstream.RawStreamMsg) error {
	if env, err := jobs.DecodeEnvelope(msg.Data); err == nil {
		rec, err := s.store.Get(ctx, env.ID)
		switch {
		case err == nil && rec.Status.Terminal():
		case err == nil || errors.Is(err, jobs.ErrNotFound):
			// A new message ID: the stream may still remember the old one as a duplicate.
			republish := &nats.Msg{Subject: msg.Subject, Data: msg.Data}
			if _, err := s.js.PublishMsg(ctx, republish,
				jetstream.WithMsgID(fmt.Sprintf("%s-%d", env.ID, msg.Sequence)),
				jetstream.WithExpectStream(s.names.Stream)); err != nil {
				return fmt.Errorf("republish orphaned job %s: %w", env.ID, err)
			}
			s.logger.WarnContext(ctx, "republished an orphaned job that had not finished",
				slog.String("job_id", env.ID), slog.Uint64("seq", msg.Sequence))
		default:
			return fmt.Errorf("orphaned job %s: %w", env.ID, err)
		}
	}
	if err := stream.DeleteMsg(ctx, msg.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("delete orphaned message %d: %w", msg.Sequence, err)
	}
	return nil
}
