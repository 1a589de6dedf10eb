package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/pool"
)

// Source hands out deliveries.
type Source interface {
	// Fetch blocks until at least one delivery is available or ctx is done, and returns at most
	// limit deliveries.
	Fetch(ctx context.Context, limit int) ([]jobs.Delivery, error)
}

// fetchRetryDelay is how long Run waits after a failed fetch (e.g. the connection is down).
const fetchRetryDelay = time.Second

// Run feeds deliveries from src to the pool until ctx is done. It reserves pool slots before
// fetching and never fetches more messages than it has free slots, so no message waits in a
// buffer while its ack wait runs out. Under load it fetches in batches of all free slots, which
// saves a round trip per job. Run returns nil when ctx ends; the caller then shuts the pool down
// to drain the jobs still running.
func Run(ctx context.Context, logger *slog.Logger, src Source, p *pool.Pool, proc *Processor) error {
	for {
		slots, err := reserve(ctx, p)
		if err != nil {
			return unlessStopping(ctx, err)
		}

		deliveries, err := src.Fetch(ctx, len(slots))
		for _, s := range slots[len(deliveries):] {
			s.Release()
		}
		if err != nil {
			if err := unlessStopping(ctx, err); err == nil {
				return nil
			}
			logger.WarnContext(ctx, "fetch failed; retrying", slog.Any("error", err), slog.Duration("retry_in", fetchRetryDelay))
			if !sleep(ctx, fetchRetryDelay) {
				return nil
			}
			continue
		}

		for i, d := range deliveries {
			if err := slots[i].Go(ctx, proc.Task(d)); err != nil {
				// The pool is shutting down: hand the message straight back.
				if nakErr := d.Retry(0); nakErr != nil {
					logger.WarnContext(ctx, "nak failed", slog.Any("error", nakErr))
				}
			}
		}
	}
}

// reserve blocks for one free slot, then takes every other slot that is free right now.
func reserve(ctx context.Context, p *pool.Pool) ([]*pool.Slot, error) {
	first, err := p.Reserve(ctx)
	if err != nil {
		return nil, err
	}
	slots := []*pool.Slot{first}
	for len(slots) < p.Size() {
		s, ok := p.TryReserve()
		if !ok {
			break
		}
		slots = append(slots, s)
	}
	return slots, nil
}

// unlessStopping returns nil if err only says that Run was asked to stop (ctx ended, or the pool
// was shut down), and err otherwise.
func unlessStopping(ctx context.Context, err error) error {
	if stopping := ctx.Err() != nil || errors.Is(err, pool.ErrClosed); stopping {
		return nil
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
