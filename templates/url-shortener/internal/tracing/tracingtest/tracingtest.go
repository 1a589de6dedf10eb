// Package tracingtest records the spans of a test: in process, with a
// tracer provider writing to a span recorder, or as an OTLP/HTTP collector
// would receive them.
package tracingtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// NewProvider returns a tracer provider that samples every span and keeps
// the ended ones in the returned recorder. It is shut down when the test ends.
func NewProvider(tb testing.TB) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	tb.Helper()
	recorder := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	tb.Cleanup(func() { _ = provider.Shutdown(tb.Context()) })
	return provider, recorder
}

// InTrace returns the spans of spans that belong to the trace id.
func InTrace(spans []sdktrace.ReadOnlySpan, id trace.TraceID) []sdktrace.ReadOnlySpan {
	return slices.DeleteFunc(slices.Clone(spans), func(s sdktrace.ReadOnlySpan) bool { return s.SpanContext().TraceID() != id })
}

// Collector is an OTLP/HTTP collector: it takes spans at /v1/traces, or at
// any path, as protobuf, and keeps them.
type Collector struct {
	// URL is the collector's base URL, an OTEL_EXPORTER_OTLP_ENDPOINT.
	URL string

	mu       sync.Mutex
	paths    []string
	requests []*collectortrace.ExportTraceServiceRequest
}

// NewCollector starts a Collector, stopped when the test ends.
func NewCollector(tb testing.TB) *Collector {
	tb.Helper()
	c := &Collector{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		req := &collectortrace.ExportTraceServiceRequest{}
		if err == nil {
			err = proto.Unmarshal(body, req)
		}
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-protobuf" {
			tb.Errorf("collector: %s %s (%s): %v", r.Method, r.URL.Path, r.Header.Get("Content-Type"), err)
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.paths = append(c.paths, r.URL.Path)
		c.requests = append(c.requests, req)
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(nil)
	}))
	tb.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// Paths returns the path of every export request received, in order.
func (c *Collector) Paths() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.paths)
}

// Span is a span as the collector received it.
type Span struct {
	Name        string
	TraceID     string // 32 hex digits
	ServiceName string
}

// Spans returns every span received.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	var spans []Span
	for _, req := range c.requests {
		for _, rs := range req.GetResourceSpans() {
			service := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					spans = append(spans, Span{Name: s.GetName(), TraceID: trace.TraceID(s.GetTraceId()).String(), ServiceName: service})
				}
			}
		}
	}
	return spans
}
