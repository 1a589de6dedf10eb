package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 1 << 20

type enqueueResponse struct {
	ID     string      `json:"id"`
	Status jobs.Status `json:"status"`
}

type errorResponse struct {
	Error string `json:"error"`
}

func handleEnqueue(logger *slog.Logger, svc Jobs, m Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req jobs.Request
		if err := decodeJSON(w, r, &req); err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			writeJSON(w, status, errorResponse{Error: err.Error()})
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
		writeJSON(w, http.StatusOK, rec)
	})
}

// decodeJSON decodes exactly one JSON object from a bounded body, rejecting unknown fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid request body: %w", err)
	}
	if dec.More() {
		return errors.New("invalid request body: more than one JSON value")
	}
	return nil
}
