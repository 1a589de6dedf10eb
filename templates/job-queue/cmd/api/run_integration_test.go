//go:build integration

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"example.com/gopher-template/job-queue/internal/app/apptest"
)

// TestRunEndToEnd starts the API on free ports against NATS_URL, and drives it over HTTP.
func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, os.Getenv, "api", run, nil)

	if code, body := p.Call(t, http.MethodGet, "/readyz", ""); code != http.StatusOK || !strings.Contains(body, `"nats":"ok"`) {
		t.Fatalf("readyz = %d %s", code, body)
	}
	code, body := p.Call(t, http.MethodPost, "/api/v1/jobs", `{"type":"echo","payload":{"n":1}}`)
	if code != http.StatusAccepted {
		t.Fatalf("POST = %d %s", code, body)
	}
	var created struct{ ID, Status string }
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.Status != "queued" {
		t.Fatalf("POST body = %s (%v)", body, err)
	}
	code, body = p.Call(t, http.MethodGet, "/api/v1/jobs/"+created.ID, "")
	if code != http.StatusOK || !strings.Contains(body, `"status":"queued"`) || !strings.Contains(body, `"max_attempts":5`) {
		t.Fatalf("GET = %d %s", code, body)
	}
	if code, _ := p.Call(t, http.MethodGet, "/api/v1/jobs/UNKNOWN", ""); code != http.StatusNotFound {
		t.Fatalf("GET unknown = %d, want 404", code)
	}
	_, metrics := p.Call(t, http.MethodGet, "/metrics", "")
	for _, want := range []string{`jobqueue_jobs_enqueued_total{type="echo"} 1`, "jobqueue_queue_depth 1", "jobqueue_http_requests_total", "go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := p.Call(t, http.MethodGet, p.AdminURL+"/debug/pprof/", ""); code != http.StatusOK {
		t.Errorf("admin pprof = %d", code)
	}

	if err := p.Stop(); err != nil {
		t.Fatalf("run = %v", err)
	}
	logs := p.Logs()
	for _, want := range []string{`"msg":"api started"`, `"msg":"http request"`, `"request_id"`, `"path":"/api/v1/jobs"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}
