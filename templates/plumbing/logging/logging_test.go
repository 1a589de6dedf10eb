package logging_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"example.com/gopher-template/plumbing/logging"
)

func TestRequestIDInLogs(t *testing.T) {
	tests := []struct {
		name      string
		requestID string
		group     string
	}{
		{name: "with request id", requestID: "req-123"},
		{name: "without request id"},
		{name: "with attrs and group", requestID: "req-456", group: "g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := logging.New(&buf, slog.LevelInfo).With(slog.String("component", "test"))
			if tt.group != "" {
				logger = logger.WithGroup(tt.group)
			}
			ctx := t.Context()
			if tt.requestID != "" {
				ctx = logging.WithRequestID(ctx, tt.requestID)
			}
			logger.InfoContext(ctx, "hello")
			logger.DebugContext(ctx, "filtered out")

			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("want exactly one JSON line, got %q: %v", buf.String(), err)
			}
			got := line[logging.RequestIDKey]
			if tt.group != "" {
				got = line[tt.group].(map[string]any)[logging.RequestIDKey]
			}
			if tt.requestID == "" && got != nil {
				t.Errorf("unexpected request_id %v", got)
			}
			if tt.requestID != "" && got != tt.requestID {
				t.Errorf("request_id = %v, want %q in %s", got, tt.requestID, buf.String())
			}
			if line["component"] != "test" {
				t.Errorf("lost attrs: %s", buf.String())
			}
		})
	}
}

// spanContext is a span as a tracer or a W3C traceparent header would put it in a context.
func spanContext(t *testing.T, traceID, spanID string, flags trace.TraceFlags, remote bool) trace.SpanContext {
	t.Helper()
	tid, err := trace.TraceIDFromHex(traceID)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := trace.SpanIDFromHex(spanID)
	if err != nil {
		t.Fatal(err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: remote})
}

func TestTraceIDsInLogs(t *testing.T) {
	t.Parallel()
	const traceID, spanID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	tests := []struct {
		name string
		// span, when valid, is put in the context of the logging call.
		span      trace.SpanContext
		requestID string
		wantIDs   bool
	}{
		{name: "sampled span", span: spanContext(t, traceID, spanID, trace.FlagsSampled, false), wantIDs: true},
		{name: "span not sampled", span: spanContext(t, traceID, spanID, 0, false), wantIDs: true},
		{name: "remote span", span: spanContext(t, traceID, spanID, trace.FlagsSampled, true), wantIDs: true},
		{name: "span and request id", span: spanContext(t, traceID, spanID, trace.FlagsSampled, false), requestID: "req-1", wantIDs: true},
		{name: "no span", requestID: "req-2"},
		{name: "invalid span", span: trace.SpanContext{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			logger := logging.New(&buf, slog.LevelInfo).With(slog.String("component", "test"))
			ctx := t.Context()
			if tt.span.IsValid() {
				ctx = trace.ContextWithSpanContext(ctx, tt.span)
			}
			if tt.requestID != "" {
				ctx = logging.WithRequestID(ctx, tt.requestID)
			}
			logger.InfoContext(ctx, "hello")

			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("want exactly one JSON line, got %q: %v", buf.String(), err)
			}
			gotTrace, gotSpan := line[logging.TraceIDKey], line[logging.SpanIDKey]
			if tt.wantIDs && (gotTrace != traceID || gotSpan != spanID) {
				t.Errorf("trace_id, span_id = %v, %v; want %s, %s in %s", gotTrace, gotSpan, traceID, spanID, buf.String())
			}
			if !tt.wantIDs && (gotTrace != nil || gotSpan != nil) {
				t.Errorf("unexpected trace_id or span_id in %s", buf.String())
			}
			if line[logging.RequestIDKey] != nil != (tt.requestID != "") || line["component"] != "test" {
				t.Errorf("lost attributes: %s", buf.String())
			}
		})
	}
}

// TestAccessLogCarriesTraceIDs: behind a tracing middleware (otelhttp, say, which puts the
// server span in the request's context), every line Middleware writes for the request, its
// access-log line included, carries the span's IDs.
func TestAccessLogCarriesTraceIDs(t *testing.T) {
	t.Parallel()
	span := spanContext(t, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", trace.FlagsSampled, false)
	var buf bytes.Buffer
	logger := logging.New(&buf, slog.LevelInfo)
	handler := logging.Middleware(logger)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "in handler")
	}))
	tracing := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(trace.ContextWithSpanContext(r.Context(), span)))
		})
	}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/x", nil)
	tracing(handler).ServeHTTP(httptest.NewRecorder(), req)

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("want the handler's line and the access-log line, got %s", buf.String())
	}
	for _, l := range lines {
		var line map[string]any
		if err := json.Unmarshal(l, &line); err != nil {
			t.Fatal(err)
		}
		if line[logging.TraceIDKey] != span.TraceID().String() || line[logging.SpanIDKey] != span.SpanID().String() || line[logging.RequestIDKey] == nil {
			t.Errorf("line without the request's IDs: %s", l)
		}
	}
}
