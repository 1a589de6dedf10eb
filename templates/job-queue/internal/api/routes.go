package api

import (
	"log/slog"
	"net/http"

	"example.com/gopher-template/plumbing/health"
)

// addRoutes lists the whole HTTP API.
func addRoutes(mux *http.ServeMux, logger *slog.Logger, opts Options) {
	m := opts.Metrics
	mux.Handle("POST /api/v1/jobs", m.Instrument("/api/v1/jobs", handleEnqueue(logger, opts.Jobs, m)))
	mux.Handle("POST /api/v1/jobs/batch", m.Instrument("/api/v1/jobs/batch", handleEnqueueBatch(logger, opts.Jobs, m)))
	mux.Handle("GET /api/v1/jobs/{id}", m.Instrument("/api/v1/jobs/{id}", handleGetJob(logger, opts.Jobs)))
	mux.Handle("GET /healthz", health.Healthz())
	mux.Handle("GET /readyz", health.Readyz(logger, opts.Checks...))
	mux.Handle("GET /metrics", opts.MetricsHandler)
}
