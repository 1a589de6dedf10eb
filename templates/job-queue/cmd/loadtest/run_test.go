package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeAPI accepts jobs and reports each one queued on its first poll, succeeded afterwards.
type fakeAPI struct {
	mu    sync.Mutex
	polls map[string]int
	next  int
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/jobs":
		f.next++
		id := fmt.Sprintf("J%d", f.next)
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "status": "queued"})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/jobs/"):
		id := strings.TrimPrefix(r.URL.Path, "/api/v1/jobs/")
		f.polls[id]++
		status := "succeeded"
		if f.polls[id] == 1 {
			status = "queued"
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "status": status})
	default:
		http.NotFound(w, r)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(&fakeAPI{polls: map[string]int{}})
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	args := []string{"loadtest", "-n", "50", "-c", "4", "-poll", "1ms"}
	getenv := func(k string) string {
		if k == "API_URL" {
			return srv.URL
		}
		return ""
	}
	if err := run(t.Context(), args, getenv, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "all 50 jobs finished") || !strings.Contains(out, "jobs/s end to end") {
		t.Errorf("output:\n%s", out)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()

	for _, args := range [][]string{{"loadtest", "-n", "0"}, {"loadtest", "-c", "0"}, {"loadtest", "-bogus"}} {
		var stderr bytes.Buffer
		if err := run(t.Context(), args, func(string) string { return "" }, &bytes.Buffer{}, &stderr); err == nil {
			t.Errorf("run(%v) succeeded", args)
		}
	}
}
