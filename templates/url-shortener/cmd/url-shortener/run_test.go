package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/gopher-template/url-shortener/internal/testenv"
)

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestRunCommands(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantErr    string
		wantStdout string
	}{
		{name: "version", args: []string{"shortener", "version"}, wantStdout: version + "\n"},
		{name: "help", args: []string{"shortener", "help"}, wantStdout: "usage: {{name}}"},
		{name: "unknown command", args: []string{"shortener", "frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{name: "serve without config", args: []string{"shortener"}, wantErr: "DATABASE_URL"},
		{name: "migrate without config", args: []string{"shortener", "migrate", "up"}, wantErr: "DATABASE_URL"},
		{name: "healthcheck bad addr", args: []string{"shortener", "healthcheck"}, env: map[string]string{"HTTP_ADDR": "nope"}, wantErr: "HTTP_ADDR"},
		{name: "healthcheck nothing listening", args: []string{"shortener", "healthcheck"}, env: map[string]string{"HTTP_ADDR": "127.0.0.1:1"}, wantErr: "healthcheck"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, getenvFrom(tt.env), &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run() error = %v", err)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.wantStdout)
			}
		})
	}
}

func TestHealthcheckCommand(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		wantErr bool
	}{
		{name: "healthy", status: http.StatusOK},
		{name: "unhealthy", status: http.StatusServiceUnavailable, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/healthz" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")

			err := run(t.Context(), []string{"shortener", "healthcheck"}, getenvFrom(map[string]string{"HTTP_ADDR": addr}), io.Discard, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("healthcheck error = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

// logWatcher is the stdout of run in tests: it keeps the JSON log lines and
// reports the addresses the servers listen on.
type logWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addrs chan listening
}

type listening struct {
	Addr  string `json:"addr"`
	Admin bool   `json:"admin"`
}

func newLogWatcher() *logWatcher {
	return &logWatcher{addrs: make(chan listening, 2)}
}

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	var line struct {
		Msg string `json:"msg"`
		listening
	}
	if json.Unmarshal(p, &line) == nil && line.Msg == "http server listening" {
		w.addrs <- line.listening
	}
	return len(p), nil
}

func (w *logWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRunEndToEnd starts the real server on free ports against fresh
// PostgreSQL and Redis namespaces, exercises it over HTTP and shuts it down.
func TestRunEndToEnd(t *testing.T) {
	dbURL := testenv.Postgres(t)
	redisURL, prefix := testenv.Redis(t)
	env := map[string]string{
		"DATABASE_URL":     dbURL,
		"REDIS_URL":        redisURL,
		"REDIS_KEY_PREFIX": prefix,
		"HTTP_ADDR":        "127.0.0.1:0",
		"ADMIN_ADDR":       "127.0.0.1:0",
		"BASE_URL":         "http://sho.rt",
		// Hits are stored only by the final flush on shutdown.
		"HIT_FLUSH_INTERVAL": "1h",
		"SHUTDOWN_TIMEOUT":   "5s",
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := newLogWatcher()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"shortener"}, getenvFrom(env), logs, io.Discard) }()

	var base, admin string
	for base == "" || admin == "" {
		select {
		case l := <-logs.addrs:
			if l.Admin {
				admin = "http://" + l.Addr
			} else {
				base = "http://" + l.Addr
			}
		case err := <-done:
			t.Fatalf("run exited early: %v\n%s", err, logs)
		case <-time.After(30 * time.Second):
			t.Fatalf("server did not start\n%s", logs)
		}
	}
	waitForReady(t, base+"/healthz")

	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(url string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, http.NoBody)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body)
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v1/links",
		strings.NewReader(`{"url":"https://example.org/e2e","alias":"e2e-test"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"short_url":"http://sho.rt/e2e-test"`) {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}

	if status, header, _ := get(base + "/e2e-test"); status != http.StatusFound || header.Get("Location") != "https://example.org/e2e" {
		t.Fatalf("redirect: %d Location=%q", status, header.Get("Location"))
	}
	if status, _, body := get(base + "/readyz"); status != http.StatusOK {
		t.Fatalf("readyz: %d %s", status, body)
	}
	if status, _, body := get(base + "/metrics"); status != http.StatusOK || !strings.Contains(body, "shortener_redirects_total") {
		t.Fatalf("metrics: %d", status)
	}
	if status, _, _ := get(admin + "/debug/pprof/cmdline"); status != http.StatusOK {
		t.Fatalf("admin pprof: %d", status)
	}
	if err := run(t.Context(), []string{"shortener", "healthcheck"},
		getenvFrom(map[string]string{"HTTP_ADDR": strings.TrimPrefix(base, "http://")}), io.Discard, io.Discard); err != nil {
		t.Fatalf("healthcheck command: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run() = %v\n%s", err, logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("run did not shut down\n%s", logs)
	}

	// The hit recorded above was stored by the flush on shutdown.
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	var hits int64
	if err := conn.QueryRow(t.Context(), "SELECT hits FROM links WHERE code = $1", "e2e-test").Scan(&hits); err != nil {
		t.Fatal(err)
	}
	if hits != 1 {
		t.Errorf("stored hits = %d, want 1", hits)
	}
}

func waitForReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := func() error {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, http.NoBody)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		}()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
