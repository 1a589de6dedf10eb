package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"example.com/gopher-template/plumbing/jsonbody"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Bounds of a request body: one job, or a batch of at most maxBatchJobs.
const (
	maxBodyBytes      = 1 << 20
	maxBatchBodyBytes = 8 << 20
	maxBatchJobs      = 1000
)

// enqueueRequest is the body of POST /api/v1/jobs, and one job of a batch.
type enqueueRequest struct {
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload,omitempty"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	// MaxAttempts is a pointer so that an explicit 0 is told from an absent field (the default).
	MaxAttempts *int `json:"max_attempts,omitempty"`
}

func (r enqueueRequest) job() (jobs.Request, error) {
	req := jobs.Request{Type: r.Type, Payload: r.Payload, IdempotencyKey: r.IdempotencyKey}
	if r.MaxAttempts != nil {
		if err := jobs.ValidateMaxAttempts(*r.MaxAttempts); err != nil {
			return jobs.Request{}, err
		}
		req.MaxAttempts = *r.MaxAttempts
	}
	return req, nil
}

type enqueueResponse struct {
	ID     string      `json:"id"`
	Status jobs.Status `json:"status"`
}

type batchRequest struct {
	Jobs []enqueueRequest `json:"jobs"`
}

// batchItem is the outcome of one job of a batch: its ID and status, or an error.
type batchItem struct {
	ID     string      `json:"id,omitempty"`
	Status jobs.Status `json:"status,omitempty"`
	Error  string      `json:"error,omitempty"`
}

type batchResponse struct {
	Jobs []batchItem `json:"jobs"`
}

// jobResponse is a job as clients see it: the record without the worker's bookkeeping.
type jobResponse struct {
	ID          string      `json:"id"`
	Type        string      `json:"type"`
	Status      jobs.Status `json:"status"`
	Attempts    int         `json:"attempts"`
	MaxAttempts int         `json:"max_attempts"`
	LastError   string      `json:"last_error"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

type errorResponse struct {
	Error string `json:"error"`
}

func handleEnqueue(logger *slog.Logger, svc Jobs, m Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body enqueueRequest
		if !decodeJSON(w, r, maxBodyBytes, &body) {
			return
		}
		req, err := body.job()
		if err != nil {
			writeJSON(w, http.StatusBadRequest, errorResponse{Error: err.Error()})
			return
		}

		res, err := svc.Enqueue(r.Context(), req)
		switch {
		case errors.Is(err, jobs.ErrInvalid):
			writeJSON(w, http.StatusBadRequest, errorResponse{Error: err.Error()})
			return
		case errors.Is(err, jobs.ErrConflict):
			writeJSON(w, http.StatusConflict, errorResponse{Error: err.Error()})
			return
		case err != nil:
			logger.ErrorContext(r.Context(), "enqueue failed", slog.String("job_type", req.Type), slog.Any("error", err))
			writeJSON(w, http.StatusServiceUnavailable, errorResponse{Error: "could not enqueue the job; try again"})
			return
		}

		rec := res.Record
		if !res.Duplicate {
			m.Enqueued(rec.Type)
		}
		logger.DebugContext(r.Context(), "job enqueued",
			slog.String("job_id", rec.ID), slog.String("job_type", rec.Type), slog.Bool("duplicate", res.Duplicate))
		w.Header().Set("Location", "/api/v1/jobs/"+rec.ID)
		writeJSON(w, http.StatusAccepted, enqueueResponse{ID: rec.ID, Status: rec.Status})
	})
}

// handleEnqueueBatch enqueues up to maxBatchJobs jobs in one request. An invalid job rejects the
// whole batch (400) before anything is enqueued. Otherwise the answer lists every job's ID and
// status, or its error: 202 if all were accepted, 409 if some reused an idempotency key for
// another job, 503 if some could not be enqueued (retry those; a key makes that safe).
func handleEnqueueBatch(logger *slog.Logger, svc Jobs, m Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body batchRequest
		if !decodeJSON(w, r, maxBatchBodyBytes, &body) {
			return
		}
		if n := len(body.Jobs); n == 0 || n > maxBatchJobs {
			writeJSON(w, http.StatusBadRequest, errorResponse{Error: fmt.Sprintf("a batch holds 1 to %d jobs, not %d", maxBatchJobs, n)})
			return
		}
		reqs := make([]jobs.Request, len(body.Jobs))
		for i, b := range body.Jobs {
			var err error
			if reqs[i], err = b.job(); err != nil {
				writeJSON(w, http.StatusBadRequest, errorResponse{Error: fmt.Sprintf("job %d: %v", i, err)})
				return
			}
		}

		results, errs, err := svc.EnqueueBatch(r.Context(), reqs)
		if err != nil {
			status := http.StatusServiceUnavailable
			if errors.Is(err, jobs.ErrInvalid) {
				status = http.StatusBadRequest
			}
			writeJSON(w, status, errorResponse{Error: err.Error()})
			return
		}
		status := http.StatusAccepted
		items := make([]batchItem, len(results))
		for i, res := range results {
			switch err := errs[i]; {
			case errors.Is(err, jobs.ErrConflict):
				items[i] = batchItem{Error: err.Error()}
				status = max(status, http.StatusConflict)
			case err != nil:
				logger.ErrorContext(r.Context(), "enqueue failed", slog.String("job_type", reqs[i].Type), slog.Any("error", err))
				items[i] = batchItem{Error: "could not enqueue the job; try again"}
				status = http.StatusServiceUnavailable
			default:
				items[i] = batchItem{ID: res.Record.ID, Status: res.Record.Status}
				if !res.Duplicate {
					m.Enqueued(res.Record.Type)
				}
			}
		}
		writeJSON(w, status, batchResponse{Jobs: items})
	})
}

func handleGetJob(logger *slog.Logger, svc Jobs) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		rec, err := svc.Get(r.Context(), id)
		switch {
		case errors.Is(err, jobs.ErrNotFound):
			writeJSON(w, http.StatusNotFound, errorResponse{Error: "job not found"})
			return
		case err != nil:
			logger.ErrorContext(r.Context(), "get job failed", slog.String("job_id", id), slog.Any("error", err))
			writeJSON(w, http.StatusServiceUnavailable, errorResponse{Error: "could not read the job; try again"})
			return
		}
		writeJSON(w, http.StatusOK, jobResponse{
			ID: rec.ID, Type: rec.Type, Status: rec.Status, Attempts: rec.Attempts, MaxAttempts: rec.MaxAttempts,
			LastError: rec.LastError, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt,
		})
	})
}

// decodeJSON reads exactly one JSON object of at most limit bytes, declared
// application/json, rejecting unknown fields. On failure it has answered with
// the status jsonbody gives (400, 413 or 415) and a message naming JSON fields
// and types, never Go's, and returns false.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	err := jsonbody.Decode(w, r, limit, v)
	if err == nil {
		return true
	}
	status, message := http.StatusBadRequest, "invalid request body"
	if bodyErr, ok := errors.AsType[*jsonbody.Error](err); ok {
		status, message = bodyErr.Status, bodyErr.Message
	}
	writeJSON(w, status, errorResponse{Error: message})
	return false
}
