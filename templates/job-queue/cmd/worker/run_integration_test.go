//go:build integration

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/job-queue/internal/app/apptest"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/queue"
)

// TestRunEndToEnd starts the worker on free ports against NATS_URL, feeds it jobs, and checks
// their outcome and the worker's metrics.
func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, os.Getenv, "worker", run, map[string]string{
		"WORKER_CONCURRENCY": "4",
		"BACKOFF_BASE":       "10ms",
		"BACKOFF_MAX":        "50ms",
		"ACK_WAIT":           "3s",
		"LOG_LEVEL":          "debug",
	})
	if code, body := p.Call(t, http.MethodGet, "/readyz", ""); code != http.StatusOK {
		t.Fatalf("readyz = %d %s", code, body)
	}

	store, ids := enqueueMix(t, p)
	for id, want := range ids {
		waitStatus(t, store, id, want)
	}

	_, metrics := p.Call(t, http.MethodGet, "/metrics", "")
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

	if err := p.Stop(); err != nil {
		t.Fatalf("run = %v", err)
	}
	if logs := p.Logs(); !strings.Contains(logs, `"job_id"`) || !strings.Contains(logs, `"msg":"worker started"`) {
		t.Errorf("logs carry no job_id or start line:\n%s", logs)
	}
}

// enqueueMix enqueues jobs of every kind the way the API does (the worker created the resources),
// and returns the store of their records and the final status each should reach.
func enqueueMix(t *testing.T, p *apptest.Process) (*queue.Store, map[string]jobs.Status) {
	t.Helper()
	names := p.Queue.Config.Names
	store, err := queue.OpenStore(t.Context(), p.Queue.JS, names)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := queue.NewPublisher(t.Context(), p.Queue.JS, names)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobs.NewService(store, pub, 5)
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
	return store, ids
}

func waitStatus(t *testing.T, store *queue.Store, id string, want jobs.Status) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		rec, err := store.Get(t.Context(), id)
		if err == nil && rec.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: %+v (%v), want status %s", id, rec, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
