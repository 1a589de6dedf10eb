package handlers

import (
	"context"
	"fmt"
	"time"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// maxSleep bounds the sleep job so that a typo cannot park a worker slot for days.
const maxSleep = time.Hour

// Sleep waits for ms milliseconds, or until its context ends. Payload: {"ms": n}.
// Useful for long-running jobs: timeouts, heartbeats, shutdown and crash tests.
type Sleep struct{}

type sleepPayload struct {
	MS int64 `json:"ms"`
}

// Handle implements jobs.Handler.
func (Sleep) Handle(ctx context.Context, job jobs.Job) error {
	var p sleepPayload
	if err := decodePayload(job, &p); err != nil {
		return err
	}
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
