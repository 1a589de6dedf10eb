package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// maxSleep bounds the sleep job so that a typo cannot park a worker slot for days.
const maxSleep = time.Hour

// Sleep waits for ms milliseconds, or until its context ends. Payload: {"ms": n}.
// Useful for long-running jobs: timeouts, heartbeats, shutdown and crash tests; it logs each
// start at debug level, so that a test can count the runs of a job.
type Sleep struct {
	Logger *slog.Logger
}

type sleepPayload struct {
	MS int64 `json:"ms"`
}

// Handle implements jobs.Handler.
func (s Sleep) Handle(ctx context.Context, job jobs.Job) error {
	var p sleepPayload
	if err := decodePayload(job, &p); err != nil {
		return err
	}
	s.Logger.DebugContext(ctx, "sleep", slog.String("job_id", job.ID), slog.Int("attempt", job.Attempt), slog.Int64("ms", p.MS))
	d := time.Duration(p.MS) * time.Millisecond
	if p.MS < 0 || d > maxSleep {
		return jobs.Permanent(fmt.Errorf("sleep: ms must be between 0 and %d", maxSleep.Milliseconds()))
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sleep interrupted: %w", context.Cause(ctx))
	}
}
