package api

import (
	"log/slog"
	"net/http"

	"example.com/gopher-template/job-queue/internal/httpserver"
)

// addRoutes lists the whole HTTP API.
func addRoutes(mux *http.ServeMux, logger *slog.Logger, deps Deps) {
	m := deps.Metrics
	mux.Handle("POST /api/v1/jobs", m.Instrument("/api/v1/jobs", handleEnqueue(logger, deps.Jobs, m)))
	mux.Handle("GET /api/v1/jobs/{id}", m.Instrument("/api/v1/jobs/{id}", handleGetJob(logger, deps.Jobs)))
	mux.Handle("GET /healthz", httpserver.Healthz())
	mux.Handle("GET /readyz", httpserver.Readyz(logger, deps.Ready))
	mux.Handle("GET /metrics", deps.MetricsHandler)
}
