// Package api is the HTTP interface of the queue: enqueue a job, read its status.
package api

import (
	"context"
	"log/slog"
	"net/http"

	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/metrics"
)

// Jobs is what the API needs from the domain; *jobs.Service implements it.
type Jobs interface {
	Enqueue(ctx context.Context, req jobs.Request) (jobs.EnqueueResult, error)
	Get(ctx context.Context, id string) (jobs.Record, error)
}

// Deps are the dependencies of the API server.
type Deps struct {
	Jobs    Jobs
	Metrics *metrics.API
	// MetricsHandler serves /metrics.
	MetricsHandler http.Handler
	// Ready reports whether the API can accept jobs (the NATS connection is up).
	Ready func(context.Context) error
}

// NewServer returns the API's handler.
func NewServer(logger *slog.Logger, deps Deps) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, logger, deps)
	return mux
}
