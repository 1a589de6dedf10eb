package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"example.com/gopher-template/plumbing/logging"
	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/url-shortener/internal/httpapi"
	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/link/linktest"
	"example.com/gopher-template/url-shortener/internal/tracing"
	"example.com/gopher-template/url-shortener/internal/tracing/tracingtest"
)

// tracedRepository makes a span of every lookup and insert, from the context
// it is given, as otelpgx does in production.
type tracedRepository struct {
	link.Repository
	tracer trace.Tracer
}

func (r tracedRepository) Create(ctx context.Context, l *link.Link) error {
	ctx, span := r.tracer.Start(ctx, "INSERT")
	defer span.End()
	return r.Repository.Create(ctx, l)
}

func (r tracedRepository) Get(ctx context.Context, code string) (link.Link, error) {
	ctx, span := r.tracer.Start(ctx, "SELECT")
	defer span.End()
	return r.Repository.Get(ctx, code)
}

// tracedServer is the handler with its service on fakes, a tracer provider
// recording every span, and a logger at Debug keeping every line.
type tracedServer struct {
	*testServer
	spans *tracetest.SpanRecorder
	logs  *testserve.Buffer
}

func newTracedServer(t *testing.T) *tracedServer {
	t.Helper()
	provider, spans := tracingtest.NewProvider(t)
	repo := tracedRepository{Repository: linktest.NewRepository(), tracer: provider.Tracer("test")}
	ts, logs := newLoggedServer(t, repo, provider)
	return &tracedServer{testServer: ts, spans: spans, logs: logs}
}

// newLoggedServer is the handler with its service on repo and fakes, spans
// made with provider (nil: none), and a logger at Debug keeping every line.
func newLoggedServer(t *testing.T, repo link.Repository, provider trace.TracerProvider) (*testServer, *testserve.Buffer) {
	t.Helper()
	logs := &testserve.Buffer{}
	logger := logging.New(logs, slog.LevelDebug)
	m := newMetrics(t)
	ts := &testServer{cache: linktest.NewCache()}
	svc, err := link.NewService(logger, repo, ts.cache, linktest.NewHits(), link.Options{CodeLength: codeLength, Recorder: m})
	if err != nil {
		t.Fatal(err)
	}
	ts.handler, err = httpapi.NewServer(logger, httpapi.Options{
		BaseURL: baseURL, RateLimitRPS: 100, RateLimitBurst: 100,
		TracerProvider: provider, Propagator: tracing.Propagator(),
	}, svc, m)
	if err != nil {
		t.Fatal(err)
	}
	return ts, logs
}

// serverSpan returns the one server span recorded, failing when there is
// not exactly one.
func serverSpan(t *testing.T, spans []sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.SpanKind() == trace.SpanKindServer {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one server span, got %d of %d spans", len(found), len(spans))
	}
	return found[0]
}

// childNames returns the names of the spans whose parent is parent.
func childNames(spans []sdktrace.ReadOnlySpan, parent trace.SpanContext) []string {
	var names []string
	for _, s := range spans {
		if s.Parent().SpanID() == parent.SpanID() && s.SpanContext().TraceID() == parent.TraceID() {
			names = append(names, s.Name())
		}
	}
	return names
}

func attr(s sdktrace.ReadOnlySpan, key attribute.Key) attribute.Value {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// expectLogsInTrace checks that every line logs wrote for a request (the
// lines with a request ID) carries the IDs of span, or none when span is not
// valid, and that there is one.
func expectLogsInTrace(t *testing.T, logs string, span trace.SpanContext) {
	t.Helper()
	n := 0
	for l := range bytes.SplitSeq(bytes.TrimSpace([]byte(logs)), []byte("\n")) {
		var line map[string]any
		if err := json.Unmarshal(l, &line); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if line[logging.RequestIDKey] == nil {
			continue
		}
		n++
		switch {
		case !span.IsValid():
			if line[logging.TraceIDKey] != nil || line[logging.SpanIDKey] != nil {
				t.Errorf("log line of a request without a trace names one: %s", l)
			}
		case line[logging.TraceIDKey] != span.TraceID().String() || line[logging.SpanIDKey] != span.SpanID().String():
			t.Errorf("log line outside the request's span %s/%s: %s", span.TraceID(), span.SpanID(), l)
		}
	}
	if n == 0 {
		t.Errorf("no log line of the request in %s", logs)
	}
}

func TestTracing(t *testing.T) {
	t.Parallel()
	// A caller's W3C trace context, as another service sends it.
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	tests := []struct {
		name    string
		request func(created linkJSON) request
		// wantName is the server span's; wantRoute its http.route, if any.
		wantName, wantRoute string
		wantStatus          int
		// wantChildren are the repository's spans under the server span.
		wantChildren []string
		// fromCaller: the server span continues the caller's trace.
		fromCaller bool
	}{
		{
			name: "create",
			request: func(linkJSON) request {
				return request{method: http.MethodPost, target: "/api/v1/links", body: `{"url":"https://example.org/x"}`}
			},
			wantName: "POST /api/v1/links", wantRoute: "/api/v1/links", wantStatus: http.StatusCreated,
			wantChildren: []string{"INSERT"},
		},
		{
			// The cache was emptied: the link comes from the repository.
			name:     "redirect",
			request:  func(l linkJSON) request { return request{method: http.MethodGet, target: "/" + l.Code} },
			wantName: "GET /:code", wantRoute: "/:code", wantStatus: http.StatusFound,
			wantChildren: []string{"SELECT"},
		},
		{
			name: "redirect from a traced caller",
			request: func(l linkJSON) request {
				return request{method: http.MethodGet, target: "/" + l.Code, headers: map[string]string{"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01"}}
			},
			wantName: "GET /:code", wantRoute: "/:code", wantStatus: http.StatusFound,
			wantChildren: []string{"SELECT"}, fromCaller: true,
		},
		{
			name:     "no route",
			request:  func(linkJSON) request { return request{method: http.MethodGet, target: "/a/b/c"} },
			wantName: "GET", wantStatus: http.StatusNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTracedServer(t)
			created := ts.create(t, `{"url":"https://example.org/x"}`, nil)
			if err := ts.cache.Delete(t.Context(), created.Code); err != nil {
				t.Fatal(err)
			}
			ts.spans.Reset()
			ts.logs.Reset()

			if rec := ts.do(t, tt.request(created)); rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			spans := ts.spans.Ended()
			server := serverSpan(t, spans)
			if server.Name() != tt.wantName || attr(server, "http.route").AsString() != tt.wantRoute ||
				attr(server, "http.response.status_code").AsInt64() != int64(tt.wantStatus) {
				t.Errorf("server span %q, route %q, status %d; want %q, %q, %d", server.Name(),
					attr(server, "http.route").AsString(), attr(server, "http.response.status_code").AsInt64(), tt.wantName, tt.wantRoute, tt.wantStatus)
			}
			if tt.fromCaller {
				if server.SpanContext().TraceID().String() != callerTrace || server.Parent().SpanID().String() != callerSpan || !server.Parent().IsRemote() {
					t.Errorf("server span %s, parent %s: not in the caller's trace", server.SpanContext().TraceID(), server.Parent().SpanID())
				}
			} else if server.Parent().IsValid() {
				t.Errorf("server span has parent %s, want a new trace", server.Parent().SpanID())
			}
			if got := childNames(spans, server.SpanContext()); !slices.Equal(got, tt.wantChildren) {
				t.Errorf("spans under the server span = %v, want %v", got, tt.wantChildren)
			}
			if len(spans) != 1+len(tt.wantChildren) {
				t.Errorf("%d spans recorded, want the server span and its %d children", len(spans), len(tt.wantChildren))
			}
			expectLogsInTrace(t, ts.logs.String(), server.SpanContext())
		})
	}
}

// TestProbesAreNotTraced: liveness probes and metric scrapes, every few
// seconds, make no spans; readiness (which checks dependencies) does.
func TestProbesAreNotTraced(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path      string
		wantSpans int
	}{
		{path: "/healthz", wantSpans: 0},
		{path: "/metrics", wantSpans: 0},
		{path: "/readyz", wantSpans: 1},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			ts := newTracedServer(t)
			if rec := ts.do(t, request{method: http.MethodGet, target: tt.path}); rec.Code != http.StatusOK {
				t.Fatalf("status = %d", rec.Code)
			}
			if got := len(ts.spans.Ended()); got != tt.wantSpans {
				t.Errorf("%d spans, want %d", got, tt.wantSpans)
			}
		})
	}
}

// TestCallerTraceWithoutProvider: with no tracer provider (no endpoint to
// export to) no span is made, and a caller's trace context still reaches the
// log lines of its request; a request without one logs no trace.
func TestCallerTraceWithoutProvider(t *testing.T) {
	t.Parallel()
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	ts, logs := newLoggedServer(t, linktest.NewRepository(), nil)
	created := ts.create(t, `{"url":"https://example.com/a"}`, nil)

	traceparent := "00-" + callerTrace + "-" + callerSpan + "-01"
	caller := trace.SpanContextFromContext(tracing.Propagator().Extract(t.Context(), propagation.HeaderCarrier(http.Header{"Traceparent": {traceparent}})))
	if caller.TraceID().String() != callerTrace || caller.SpanID().String() != callerSpan {
		t.Fatalf("the caller's span context = %+v", caller)
	}
	tests := []struct {
		name    string
		headers map[string]string
		want    trace.SpanContext // of every line of the request; invalid for none
	}{
		{name: "a caller's trace", headers: map[string]string{"traceparent": traceparent}, want: caller},
		{name: "no trace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			if rec := ts.do(t, request{method: http.MethodGet, target: "/" + created.Code, headers: tt.headers}); rec.Code != http.StatusFound {
				t.Fatalf("status = %d", rec.Code)
			}
			expectLogsInTrace(t, logs.String(), tt.want)
		})
	}
}
