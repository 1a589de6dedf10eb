//go:build integration

package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/url-shortener/internal/tracing/tracingtest"
)

// TestRunExportsSpans: with OTEL_EXPORTER_OTLP_ENDPOINT set, the spans of the
// requests served reach the collector, under OTEL_SERVICE_NAME, by the time a
// graceful shutdown returns (they are batched every few seconds, so this
// proves the flush on shutdown); the access-log lines name their traces.
func TestRunExportsSpans(t *testing.T) {
	t.Parallel()
	collector := tracingtest.NewCollector(t)
	srv := startRun(t, freshEnv(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL,
		"OTEL_SERVICE_NAME":           "links-e2e",
	}))
	if status, _, body := fetch(t, http.MethodPost, srv.base+"/api/v1/links", `{"url":"https://example.org/otel","alias":"otel"}`); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	if status, _, _ := fetch(t, http.MethodGet, srv.base+"/otel", ""); status != http.StatusFound {
		t.Fatalf("redirect: %d", status)
	}
	srv.stop(t)

	traces := map[string]string{} // trace ID → server span name
	names := map[string]bool{}
	for _, s := range collector.Spans() {
		if s.ServiceName != "links-e2e" {
			t.Errorf("span %q of service %q, want links-e2e", s.Name, s.ServiceName)
		}
		names[s.Name] = true
		if s.Name == "POST /api/v1/links" || s.Name == "GET /:code" {
			traces[s.TraceID] = s.Name
		}
	}
	for _, want := range []string{"POST /api/v1/links", "INSERT", "set", "GET /:code"} {
		if !names[want] {
			t.Errorf("no %q span exported; got %v", want, names)
		}
	}
	// Every access-log line (the create's at Info) is in an exported trace.
	lines := 0
	for line := range strings.Lines(srv.logs.String()) {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil || entry["msg"] != "http request" {
			continue
		}
		lines++
		if id, _ := entry[logging.TraceIDKey].(string); traces[id] == "" {
			t.Errorf("access-log line outside the exported traces %v: %s", traces, line)
		}
	}
	if lines == 0 {
		t.Errorf("no access-log line in\n%s", srv.logs)
	}
}
