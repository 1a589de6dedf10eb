package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStartServeShutdown(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, _ *http.Request) {
		<-release
		w.WriteHeader(http.StatusAccepted)
	})
	srv := New("127.0.0.1:0", mux, logger)
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.ErrorLog == nil {
		t.Fatalf("a timeout or the error log is unset: %+v", srv)
	}
	running, err := Start(t.Context(), logger, "api", srv)
	if err != nil {
		t.Fatal(err)
	}
	if err := Healthcheck(t.Context(), running.Addr()); err != nil {
		t.Fatalf("healthcheck: %v", err)
	}

	// A request in flight when shutdown starts completes.
	inflight := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+running.Addr()+"/slow", http.NoBody)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			inflight <- 0
			return
		}
		resp.Body.Close()
		inflight <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- ShutdownAll(t.Context(), 5*time.Second, running, nil) }()
	time.Sleep(100 * time.Millisecond)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if code := <-inflight; code != http.StatusAccepted {
		t.Errorf("in-flight request got %d, want 202", code)
	}
	if err, open := <-running.Err(); open || err != nil {
		t.Errorf("Err() after a clean shutdown = %v, %v", err, open)
	}
}

func TestStartFailsOnABusyPort(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	first, err := Start(t.Context(), logger, "first", New("127.0.0.1:0", http.NotFoundHandler(), logger))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Shutdown(context.Background()) })
	_, err = Start(t.Context(), logger, "second", New(first.Addr(), http.NotFoundHandler(), logger))
	if err == nil || !strings.Contains(err.Error(), "second server: listen") {
		t.Fatalf("err = %v, want a listen error naming the server", err)
	}
}

func TestHealthcheckErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, addr, want string }{
		{"bad address", "no-port", "address"},
		{"nobody listening", "127.0.0.1:1", "healthcheck"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := Healthcheck(t.Context(), tt.addr); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestAdminServesPprof(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	running, err := Start(t.Context(), logger, "admin", NewAdmin("127.0.0.1:0", logger))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = running.Shutdown(context.Background()) })
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+running.Addr()+"/debug/pprof/cmdline", http.NoBody)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("pprof cmdline: %s", resp.Status)
	}
}
