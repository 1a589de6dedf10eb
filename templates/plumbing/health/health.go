// Package health is the one way every binary of the project answers its probes: /healthz says
// the process is alive and checks nothing; /readyz checks the dependencies. A required dependency
// that fails takes the binary out of rotation (503); an optional one only marks it "degraded"
// (200), since the binary still serves without it.
package health

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// checkTimeout bounds one readiness request: probes must answer faster than they are repeated.
const checkTimeout = 2 * time.Second

// Status values, overall and per check.
const (
	StatusOK          = "ok"
	StatusReady       = "ready"
	StatusDegraded    = "degraded"
	StatusUnavailable = "unavailable"
)

// Check is a named readiness check of one dependency.
type Check struct {
	Name string
	// Required dependencies fail readiness; optional ones degrade it.
	Required bool
	Check    func(context.Context) error
}

// Report is the body /readyz answers with.
type Report struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

// Healthz reports that the process is up. It checks nothing else: a liveness probe must not fail
// because a dependency is down, or the orchestrator restarts healthy processes.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, Report{Status: StatusOK})
	})
}

// Readyz runs the checks side by side, each bounded by checkTimeout, and answers 503 if a required
// one failed, else 200 ("degraded" when an optional one failed). Failures are logged at Warn.
func Readyz(logger *slog.Logger, checks ...Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
		defer cancel()
		report := Evaluate(ctx, logger, checks...)
		status := http.StatusOK
		if report.Status == StatusUnavailable {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, report)
	})
}

// Evaluate runs the checks side by side and summarises them.
func Evaluate(ctx context.Context, logger *slog.Logger, checks ...Check) Report {
	results := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { results[i] = c.Check(ctx) })
	}
	wg.Wait()

	report := Report{Status: StatusReady, Checks: make(map[string]string, len(checks))}
	for i, c := range checks {
		err := results[i]
		switch {
		case err == nil:
			report.Checks[c.Name] = StatusOK
		case c.Required:
			report.Checks[c.Name] = StatusUnavailable
			report.Status = StatusUnavailable
		default:
			report.Checks[c.Name] = StatusDegraded
			if report.Status == StatusReady {
				report.Status = StatusDegraded
			}
		}
		if err != nil {
			logger.WarnContext(ctx, "readiness check failed", slog.String("check", c.Name),
				slog.Bool("required", c.Required), slog.Any("error", err))
		}
	}
	return report
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the status is sent; a failed write means the client left
}
