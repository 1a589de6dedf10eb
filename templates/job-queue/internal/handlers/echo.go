package handlers

import (
	"context"
	"log/slog"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Echo always succeeds and logs the size of the payload. It is the no-op job of the load test.
type Echo struct {
	Logger *slog.Logger
}

// Handle implements jobs.Handler.
func (e Echo) Handle(ctx context.Context, job jobs.Job) error {
	e.Logger.DebugContext(ctx, "echo",
		slog.String("job_id", job.ID),
		slog.Int("payload_bytes", len(job.Payload)),
	)
	return nil
}
