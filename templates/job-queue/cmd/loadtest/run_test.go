package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// fakeQueue accepts jobs, one at a time or in batches, and has a worker settle each one after
// a few reads of the queue's depth.
type fakeQueue struct {
	mu       sync.Mutex
	next     int
	requests int
	waiting  []string
	status   map[string]jobs.Status
	outcome  jobs.Status
}

func newFakeQueue(outcome jobs.Status) *fakeQueue {
	return &fakeQueue{status: map[string]jobs.Status{}, outcome: outcome}
}

func (f *fakeQueue) accept() string {
	f.next++
	id := fmt.Sprintf("J%d", f.next)
	f.waiting = append(f.waiting, id)
	return id
}

func (f *fakeQueue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/jobs":
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": f.accept(), "status": "queued"})
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/jobs/batch":
		var in struct{ Jobs []json.RawMessage }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out := make([]map[string]string, len(in.Jobs))
		for i := range out {
			out[i] = map[string]string{"id": f.accept(), "status": "queued"}
		}
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]any{"jobs": out})
	default:
		http.NotFound(w, r)
	}
}

// Depth settles up to ten waiting jobs per read.
func (f *fakeQueue) Depth(context.Context) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := min(10, len(f.waiting))
	for _, id := range f.waiting[:n] {
		f.status[id] = f.outcome
	}
	f.waiting = f.waiting[n:]
	return uint64(len(f.waiting)), nil
}

func (f *fakeQueue) Status(_ context.Context, id string) (jobs.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status[id], nil
}

func TestLoadTest(t *testing.T) {
	t.Parallel()

	for _, tt := range []struct {
		batch        int
		wantRequests int
	}{{batch: 1, wantRequests: 50}, {batch: 20, wantRequests: 3}} {
		t.Run(fmt.Sprint("batch ", tt.batch), func(t *testing.T) {
			t.Parallel()
			q := newFakeQueue(jobs.StatusSucceeded)
			srv := httptest.NewServer(q)
			defer srv.Close()

			var stdout bytes.Buffer
			o := options{api: srv.URL, jobs: 50, concurrency: 4, batch: tt.batch, timeout: time.Minute}
			if err := loadTest(t.Context(), o, q, &stdout); err != nil {
				t.Fatalf("loadTest: %v\n%s", err, stdout.String())
			}
			if out := stdout.String(); !strings.Contains(out, "all 50 jobs finished") || !strings.Contains(out, "jobs/s end to end") {
				t.Errorf("output:\n%s", out)
			}
			if q.requests != tt.wantRequests {
				t.Errorf("%d requests, want %d", q.requests, tt.wantRequests)
			}
		})
	}
}

func TestLoadTestReportsJobsThatDidNotSucceed(t *testing.T) {
	t.Parallel()

	q := newFakeQueue(jobs.StatusDead)
	srv := httptest.NewServer(q)
	defer srv.Close()
	o := options{api: srv.URL, jobs: 3, concurrency: 1, batch: 1, timeout: time.Minute}
	if err := loadTest(t.Context(), o, q, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "3 of 3 jobs did not succeed") {
		t.Fatalf("loadTest = %v, want 3 jobs that did not succeed", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()

	for _, args := range [][]string{{"loadtest", "-n", "0"}, {"loadtest", "-c", "0"}, {"loadtest", "-batch", "1001"}, {"loadtest", "-bogus"}} {
		var stderr bytes.Buffer
		if err := run(t.Context(), args, func(string) string { return "" }, &bytes.Buffer{}, &stderr); err == nil {
			t.Errorf("run(%v) succeeded", args)
		}
	}
}
