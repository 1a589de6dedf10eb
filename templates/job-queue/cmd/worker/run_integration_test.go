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

	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/queue"
	"example.com/gopher-template/job-queue/internal/queuetest"
)

// TestRunEndToEnd starts the worker on free ports against NATS_URL, feeds it jobs, and checks
// their outcome and the worker's metrics.
func TestRunEndToEnd(t *testing.T) {
	env := queuetest.Bare(t, os.Getenv) // run creates the resources; cleanup deletes them
	httpAddr := freeAddr(t)
	vars := map[string]string{
		"NATS_URL":           env.URL,
		"STREAM_PREFIX":      env.Config.Names.Prefix,
		"HTTP_ADDR":          httpAddr,
		"WORKER_CONCURRENCY": "4",
		"BACKOFF_BASE":       "10ms",
		"BACKOFF_MAX":        "50ms",
		"ACK_WAIT":           "3s",
		"LOG_LEVEL":          "debug",
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"worker"}, func(k string) string { return vars[k] }, io.Discard, &stderr)
	}()

	base := "http://" + httpAddr
	waitHealthy(t, base+"/healthz", done)
	if code, body := call(t, http.MethodGet, base+"/readyz", ""); code != http.StatusOK {
		t.Fatalf("readyz = %d %s", code, body)
	}

	// The worker created the resources; enqueue the way the API does.
	names := env.Config.Names
	store, err := queue.OpenStore(t.Context(), env.JS, names)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobs.NewService(store, queue.NewPublisher(env.JS, names), 5)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]jobs.Status{}
	for _, req := range []jobs.Request{
		{Type: "echo", Payload: json.RawMessage(`{"hello":"world"}`)},
		{Type: "flaky", Payload: json.RawMessage(`{"fail_times":1}`)},
		{Type: "sleep", Payload: json.RawMessage(`{"ms":200}`)},
		{Type: "flaky", Payload: json.RawMessage(`{"fail_times":9}`), MaxAttempts: 2},
		{Type: "missing"},
	} {
		res, err := svc.Enqueue(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		want := jobs.StatusSucceeded
		if req.MaxAttempts == 2 || req.Type == "missing" {
			want = jobs.StatusDead
		}
		ids[res.Record.ID] = want
	}
	for id, want := range ids {
		deadline := time.Now().Add(15 * time.Second)
		for {
			rec, err := store.Get(t.Context(), id)
			if err == nil && rec.Status == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s: %+v (%v), want status %s", id, rec, err, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	_, metrics := call(t, http.MethodGet, base+"/metrics", "")
	for _, want := range []string{
		`jobqueue_jobs_processed_total{outcome="succeeded",type="echo"} 1`,
		`jobqueue_jobs_processed_total{outcome="failed",type="flaky"} 2`,
		`jobqueue_jobs_processed_total{outcome="dead",type="unknown"} 1`,
		`jobqueue_job_retries_total{type="flaky"} 2`,
		`jobqueue_jobs_dead_lettered_total{type="flaky"} 1`,
		`jobqueue_job_duration_seconds_bucket{outcome="succeeded",type="sleep",le="0.25"} 1`,
		"jobqueue_jobs_in_flight 0",
		"jobqueue_queue_depth 0",
		"jobqueue_dead_letter_depth 2",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
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
	if !strings.Contains(stderr.String(), `"job_id"`) {
		t.Errorf("logs carry no job_id:\n%s", stderr.String())
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
