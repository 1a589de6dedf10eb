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
	// Next blocks until a delivery is available or ctx is done.
	Next(ctx context.Context) (jobs.Delivery, error)
}

// nextRetryDelay is how long Run waits after Next failed (e.g. the consumer is gone).
const nextRetryDelay = time.Second

// Run feeds deliveries from src to the pool until ctx is done. It reserves a pool slot before it
// takes a delivery, so that it takes none it cannot start at once; the source keeps the next
// ones requested ahead. Run returns nil when ctx ends; the caller then shuts the pool down to
// drain the jobs still running.
func Run(ctx context.Context, logger *slog.Logger, src Source, p *pool.Pool, proc *Processor) error {
	for {
		slot, err := p.Reserve(ctx)
		if err != nil {
			return unlessStopping(ctx, err)
		}
		d, err := src.Next(ctx)
		if err != nil {
			slot.Release()
			if err := unlessStopping(ctx, err); err == nil {
				return nil
			}
			logger.WarnContext(ctx, "taking the next job failed; retrying", slog.Any("error", err), slog.Duration("retry_in", nextRetryDelay))
			if !sleep(ctx, nextRetryDelay) {
				return nil
			}
			continue
		}
		if err := slot.Go(ctx, proc.Task(d)); err != nil {
			// The pool is shutting down: hand the message straight back.
			if nakErr := d.Retry(0); nakErr != nil {
				logger.WarnContext(ctx, "nak failed", slog.Any("error", nakErr))
			}
		}
	}
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
