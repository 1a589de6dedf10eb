package health

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func ok(context.Context) error   { return nil }
func fail(context.Context) error { return errors.New("down") }

func TestReadyz(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		checks     []Check
		wantStatus int
		want       Report
	}{
		{"no checks", nil, http.StatusOK, Report{Status: StatusReady}},
		{
			"all up", []Check{{Name: "postgres", Required: true, Check: ok}, {Name: "redis", Check: ok}},
			http.StatusOK, Report{Status: StatusReady, Checks: map[string]string{"postgres": "ok", "redis": "ok"}},
		},
		{
			"optional down degrades", []Check{{Name: "postgres", Required: true, Check: ok}, {Name: "redis", Check: fail}},
			http.StatusOK, Report{Status: StatusDegraded, Checks: map[string]string{"postgres": "ok", "redis": "degraded"}},
		},
		{
			"required down fails", []Check{{Name: "postgres", Required: true, Check: fail}, {Name: "redis", Check: fail}},
			http.StatusServiceUnavailable, Report{Status: StatusUnavailable, Checks: map[string]string{"postgres": "unavailable", "redis": "degraded"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			Readyz(slog.New(slog.DiscardHandler), tt.checks...).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", http.NoBody))
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			var got Report
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want.Status || len(got.Checks) != len(tt.want.Checks) {
				t.Fatalf("report = %+v, want %+v", got, tt.want)
			}
			for name, status := range tt.want.Checks {
				if got.Checks[name] != status {
					t.Errorf("check %s = %q, want %q", name, got.Checks[name], status)
				}
			}
		})
	}
}

func TestReadyzBoundsASlowCheck(t *testing.T) {
	t.Parallel()
	slow := Check{Name: "slow", Required: true, Check: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}
	start := time.Now()
	rec := httptest.NewRecorder()
	Readyz(slog.New(slog.DiscardHandler), slow).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", http.NoBody))
	if rec.Code != http.StatusServiceUnavailable || time.Since(start) > checkTimeout+time.Second {
		t.Errorf("status %d after %v, want 503 within %v", rec.Code, time.Since(start), checkTimeout)
	}
}

func TestHealthzChecksNothing(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Healthz().ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/healthz", http.NoBody))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}
