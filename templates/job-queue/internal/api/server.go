// Package api is the HTTP interface of the queue: enqueue a job or a batch, read a job's status.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"example.com/gopher-template/plumbing/apiheaders"
	"example.com/gopher-template/plumbing/health"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Jobs is what the API needs from the domain; *jobs.Service implements it.
type Jobs interface {
	Enqueue(ctx context.Context, req jobs.Request) (jobs.EnqueueResult, error)
	EnqueueBatch(ctx context.Context, reqs []jobs.Request) ([]jobs.EnqueueResult, []error, error)
	Get(ctx context.Context, id string) (jobs.Record, error)
}

// Metrics records what the API does; *metrics.API implements it.
type Metrics interface {
	// Enqueued counts a job accepted by the API.
	Enqueued(jobType string)
	// Instrument wraps h to count and time its requests under the route label.
	Instrument(route string, h http.Handler) http.Handler
}

// Options are what the API server needs.
type Options struct {
	Jobs    Jobs
	Metrics Metrics
	// MetricsHandler serves /metrics.
	MetricsHandler http.Handler
	// Checks decide /readyz: whether the API can accept jobs (the NATS connection is up).
	Checks []health.Check
}

// NewServer returns the API's handler, behind apiheaders.Middleware: browsers
// may not sniff, render or frame its responses.
func NewServer(logger *slog.Logger, opts Options) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, logger, opts)
	return apiheaders.Middleware(mux)
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the status is sent; a failed write means the client left
}
