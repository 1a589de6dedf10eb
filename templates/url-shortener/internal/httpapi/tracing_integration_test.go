//go:build integration

package httpapi_test

import (
	"log/slog"
	"net/http"
	"slices"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"example.com/gopher-template/plumbing/logging"
	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/url-shortener/internal/tracing/tracingtest"
)

// TestIntegrationTracing: one request makes one trace: its server span is the
// parent of the spans of the SQL that GORM runs through pgx (otelpgx) and of
// the Redis commands (redisotel), and every log line of the request carries
// the trace's ID.
func TestIntegrationTracing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// evict removes the link from Redis before the request.
		evict      bool
		request    func(code string) request
		wantName   string
		wantStatus int
		// wantChildren are the database and Redis spans expected under the
		// server span, in order; a span of a connection being opened may come
		// between them.
		wantChildren []string
	}{
		{
			name: "create",
			request: func(string) request {
				return request{method: http.MethodPost, target: "/api/v1/links", body: `{"url":"https://example.org/traced"}`}
			},
			wantName: "POST /api/v1/links", wantStatus: http.StatusCreated,
			// The insert, then the write-through to Redis.
			wantChildren: []string{"INSERT", "set"},
		},
		{
			name:     "redirect from redis",
			request:  func(code string) request { return request{method: http.MethodGet, target: "/" + code} },
			wantName: "GET /:code", wantStatus: http.StatusFound,
			wantChildren: []string{"get"},
		},
		{
			name:     "redirect from postgres",
			evict:    true,
			request:  func(code string) request { return request{method: http.MethodGet, target: "/" + code} },
			wantName: "GET /:code", wantStatus: http.StatusFound,
			// A miss in Redis, the row, and Redis filled again.
			wantChildren: []string{"get", "SELECT", "set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			provider, spans := tracingtest.NewProvider(t)
			logs := &testserve.Buffer{}
			s := newStack(t, stackOptions{tracerProvider: provider, logger: logging.New(logs, slog.LevelDebug)})
			created := s.create(t, `{"url":"https://example.org/traced","alias":"traced"}`, nil)
			if tt.evict {
				if err := s.redis.Del(t.Context(), s.prefix+"link:"+created.Code).Err(); err != nil {
					t.Fatal(err)
				}
			}
			spans.Reset()
			logs.Reset()

			if rec := s.do(t, tt.request(created.Code)); rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			server := serverSpan(t, spans.Ended())
			if server.Name() != tt.wantName {
				t.Errorf("server span %q, want %q", server.Name(), tt.wantName)
			}
			inTrace := tracingtest.InTrace(spans.Ended(), server.SpanContext().TraceID())
			children := slices.DeleteFunc(childNames(inTrace, server.SpanContext()), func(name string) bool { return name == "connect" })
			if !slices.Equal(children, tt.wantChildren) {
				t.Errorf("spans under the server span = %v, want %v", children, tt.wantChildren)
			}
			expectDescendants(t, inTrace, server)
			expectSystems(t, inTrace)
			expectLogsInTrace(t, logs.String(), server.SpanContext())
		})
	}
}

// expectDescendants checks that every one of spans descends from root:
// nothing of the request is left out of its tree.
func expectDescendants(t *testing.T, spans []sdktrace.ReadOnlySpan, root sdktrace.ReadOnlySpan) {
	t.Helper()
	parents := map[trace.SpanID]trace.SpanID{}
	for _, s := range spans {
		parents[s.SpanContext().SpanID()] = s.Parent().SpanID()
	}
	for _, s := range spans {
		id := s.SpanContext().SpanID()
		for id != root.SpanContext().SpanID() && id.IsValid() {
			id = parents[id]
		}
		if !id.IsValid() {
			t.Errorf("span %q is not under the server span", s.Name())
		}
	}
}

// expectSystems checks that the client spans name their database: a
// statement's span says postgresql, a command's redis.
func expectSystems(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	for _, s := range spans {
		if s.SpanKind() != trace.SpanKindClient {
			continue
		}
		system := attr(s, "db.system.name").AsString()
		if system == "" {
			system = attr(s, "db.system").AsString()
		}
		if system != "postgresql" && system != "redis" {
			t.Errorf("client span %q names no database system: %v", s.Name(), s.Attributes())
		}
	}
}
