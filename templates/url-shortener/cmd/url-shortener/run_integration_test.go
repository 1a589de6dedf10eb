//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/gopher-template/url-shortener/internal/config"
	"example.com/gopher-template/url-shortener/internal/metrics"
	"example.com/gopher-template/url-shortener/internal/testenv"
)

// logWatcher is the stdout of run in tests: it keeps the JSON log lines and
// reports the addresses the servers listen on.
type logWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addrs chan listening
}

type listening struct {
	Server string `json:"server"`
	Addr   string `json:"addr"`
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
	t.Parallel()
	env := freshEnv(t, map[string]string{
		"BASE_URL": "http://sho.rt",
		// Hits are stored only by the final flush on shutdown.
		"HIT_FLUSH_INTERVAL": "1h",
	})
	srv := startRun(t, env)

	status, _, body := fetch(t, http.MethodPost, srv.base+"/api/v1/links", `{"url":"https://example.org/e2e","alias":"e2e-test"}`)
	if status != http.StatusCreated || !strings.Contains(body, `"short_url":"http://sho.rt/e2e-test"`) {
		t.Fatalf("create: %d %s", status, body)
	}
	if status, header, _ := fetch(t, http.MethodGet, srv.base+"/e2e-test", ""); status != http.StatusFound || header.Get("Location") != "https://example.org/e2e" {
		t.Fatalf("redirect: %d Location=%q", status, header.Get("Location"))
	}
	if status, _, body := fetch(t, http.MethodGet, srv.base+"/readyz", ""); status != http.StatusOK || !strings.Contains(body, `"status":"ready"`) {
		t.Fatalf("readyz: %d %s", status, body)
	}
	if status, _, body := fetch(t, http.MethodGet, srv.base+"/metrics", ""); status != http.StatusOK ||
		!strings.Contains(body, metrics.Namespace(config.AppName)+`_redirects_total{result="found"} 1`) ||
		// The link, written through to process memory as it was created, redirected from there.
		!strings.Contains(body, metrics.Namespace(config.AppName)+`_local_cache_requests_total{result="hit"} 1`) {
		t.Fatalf("metrics: %d %s", status, body)
	}
	if status, _, _ := fetch(t, http.MethodGet, srv.admin+"/debug/pprof/cmdline", ""); status != http.StatusOK {
		t.Fatalf("admin pprof: %d", status)
	}
	if err := run(t.Context(), []string{config.AppName, "healthcheck"},
		getenvFrom(map[string]string{"HTTP_ADDR": strings.TrimPrefix(srv.base, "http://")}), io.Discard, io.Discard); err != nil {
		t.Fatalf("healthcheck command: %v", err)
	}

	srv.stop(t)
	// The hit recorded above was stored by the flush on shutdown.
	if hits := storedHits(t, env["DATABASE_URL"], "e2e-test"); hits != 1 {
		t.Errorf("stored hits = %d, want 1", hits)
	}
}

// running is run serving in the background.
type running struct {
	base, admin string // http://host:port of the API and admin servers
	logs        *logWatcher
	cancel      context.CancelFunc
	done        chan error
}

// freshEnv is the environment of a run against a fresh database and Redis key
// prefix, on free ports, with a 5 s SHUTDOWN_TIMEOUT; extra adds to it.
func freshEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	redisURL, prefix := testenv.Redis(t)
	env := map[string]string{
		"DATABASE_URL":     testenv.Postgres(t),
		"REDIS_URL":        redisURL,
		"REDIS_KEY_PREFIX": prefix,
		"HTTP_ADDR":        "127.0.0.1:0",
		"ADMIN_ADDR":       "127.0.0.1:0",
		"SHUTDOWN_TIMEOUT": "5s",
	}
	maps.Copy(env, extra)
	return env
}

// startRun starts run with env and waits until both servers answer.
func startRun(t *testing.T, env map[string]string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	r := &running{logs: newLogWatcher(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- run(ctx, []string{config.AppName}, getenvFrom(env), r.logs, io.Discard) }()

	for r.base == "" || r.admin == "" {
		select {
		case l := <-r.logs.addrs:
			if l.Server == "admin" {
				r.admin = "http://" + l.Addr
			} else {
				r.base = "http://" + l.Addr
			}
		case err := <-r.done:
			t.Fatalf("run exited early: %v\n%s", err, r.logs)
		case <-time.After(30 * time.Second):
			t.Fatalf("server did not start\n%s", r.logs)
		}
	}
	waitForReady(t, r.base+"/healthz")
	return r
}

// stop cancels run's context, as SIGTERM would, and waits for a clean exit.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("run() = %v\n%s", err, r.logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("run did not shut down\n%s", r.logs)
	}
}

// fetch sends a request, with a JSON body unless body is empty, without
// following redirects.
func fetch(t *testing.T, method, url, body string) (status int, header http.Header, respBody string) {
	t.Helper()
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func storedHits(t *testing.T, dbURL, code string) int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	var hits int64
	if err := conn.QueryRow(t.Context(), "SELECT hits FROM links WHERE code = $1", code).Scan(&hits); err != nil {
		t.Fatal(err)
	}
	return hits
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
