package httpserver_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/gopher-template/job-queue/internal/httpserver"
)

func TestReadyz(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		ready    func(context.Context) error
		wantCode int
		wantBody string
	}{
		{name: "ready", ready: func(context.Context) error { return nil }, wantCode: http.StatusOK, wantBody: `"ready"`},
		{name: "not ready", ready: func(context.Context) error { return errors.New("nats not connected") }, wantCode: http.StatusServiceUnavailable, wantBody: "nats not connected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			httpserver.Readyz(slog.New(slog.DiscardHandler), tt.ready).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", http.NoBody))
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("got %d %s, want %d containing %s", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestStartHealthcheckShutdown(t *testing.T) {
	t.Parallel()

	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz())
	logger := slog.New(slog.DiscardHandler)
	running, err := httpserver.Start(t.Context(), logger, "test", httpserver.New("127.0.0.1:0", mux))
	if err != nil {
		t.Fatal(err)
	}
	addr := running.Addr()
	if err := httpserver.Healthcheck(t.Context(), addr); err != nil {
		t.Fatalf("Healthcheck(%s): %v", addr, err)
	}
	if err := running.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err, ok := <-running.Err(); ok {
		t.Fatalf("server error after shutdown: %v", err)
	}
	if err := httpserver.Healthcheck(t.Context(), addr); err == nil {
		t.Fatal("Healthcheck succeeded after shutdown")
	}
}

func TestHealthcheckFailures(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if err := httpserver.Healthcheck(t.Context(), addr); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("Healthcheck against a failing server = %v", err)
	}
	if err := httpserver.Healthcheck(t.Context(), "no-port"); err == nil {
		t.Error("Healthcheck with a bad address succeeded")
	}
}

func TestAdminServesPprof(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(httpserver.NewAdmin("").Handler)
	defer srv.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/debug/pprof/goroutine?debug=1", http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("pprof answered %s: %.100s", resp.Status, body)
	}
}
