//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/gopher-template/job-queue/internal/queuetest"
)

// TestRunEndToEnd starts the API on free ports against NATS_URL, and drives it over HTTP.
func TestRunEndToEnd(t *testing.T) {
	env := queuetest.Bare(t, os.Getenv) // run creates the resources; cleanup deletes them
	httpAddr, adminAddr := freeAddr(t), freeAddr(t)
	vars := map[string]string{
		"NATS_URL":      env.URL,
		"STREAM_PREFIX": env.Config.Names.Prefix,
		"HTTP_ADDR":     httpAddr,
		"ADMIN_ADDR":    adminAddr,
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"api"}, func(k string) string { return vars[k] }, io.Discard, &stderr)
	}()

	base := "http://" + httpAddr
	waitHealthy(t, base+"/healthz", done)
	if code, body := call(t, http.MethodGet, base+"/readyz", ""); code != http.StatusOK {
		t.Fatalf("readyz = %d %s", code, body)
	}

	code, body := call(t, http.MethodPost, base+"/api/v1/jobs", `{"type":"echo","payload":{"n":1}}`)
	if code != http.StatusAccepted {
		t.Fatalf("POST = %d %s", code, body)
	}
	var created struct{ ID, Status string }
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.Status != "queued" {
		t.Fatalf("POST body = %s (%v)", body, err)
	}
	code, body = call(t, http.MethodGet, base+"/api/v1/jobs/"+created.ID, "")
	if code != http.StatusOK || !strings.Contains(body, `"status":"queued"`) || !strings.Contains(body, `"max_attempts":5`) {
		t.Fatalf("GET = %d %s", code, body)
	}
	if code, _ := call(t, http.MethodGet, base+"/api/v1/jobs/UNKNOWN", ""); code != http.StatusNotFound {
		t.Fatalf("GET unknown = %d, want 404", code)
	}
	_, metrics := call(t, http.MethodGet, base+"/metrics", "")
	for _, want := range []string{`jobqueue_jobs_enqueued_total{type="echo"} 1`, "jobqueue_queue_depth 1", "jobqueue_http_requests_total", "go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := call(t, http.MethodGet, "http://"+adminAddr+"/debug/pprof/", ""); code != http.StatusOK {
		t.Errorf("admin pprof = %d", code)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
	if !strings.Contains(stderr.String(), `"msg":"api started"`) {
		t.Errorf("logs lack the start line:\n%s", stderr.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		if code, _ := call(t, http.MethodGet, url, ""); code == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", url)
}

// call performs a request and returns the status code (0 if the request failed) and body.
func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
