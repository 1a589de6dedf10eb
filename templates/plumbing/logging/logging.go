// Package logging is the one way every binary of the project logs: a JSON slog logger that adds
// the request ID and the OpenTelemetry trace and span IDs found in the context to every line, and
// the HTTP middleware that gives each request its ID, recovers its panics and writes its
// access-log line.
package logging

import (
	"context"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Attribute names of the values ContextHandler reads from the context.
const (
	// RequestIDKey names the request ID in log lines.
	RequestIDKey = "request_id"
	// TraceIDKey and SpanIDKey name the IDs of the span in the context (W3C trace context: 32
	// and 16 lowercase hex digits), so that a line can be found from its trace and the other way
	// round.
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

type requestIDKey struct{}

// WithRequestID returns a copy of ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// New returns a JSON logger writing to w at level, which adds the request ID
// and the trace and span IDs found in the context of every *Context logging call.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(NewContextHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// ContextHandler decorates a slog.Handler with values read from the context: the request ID
// (WithRequestID) and the IDs of a valid span (trace.SpanContextFromContext), whether or not the
// span is sampled or recorded. It needs the OpenTelemetry API only, not its SDK.
type ContextHandler struct {
	next slog.Handler
}

var _ slog.Handler = ContextHandler{}

// NewContextHandler wraps next.
func NewContextHandler(next slog.Handler) ContextHandler {
	return ContextHandler{next: next}
}

func (h ContextHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	id := RequestID(ctx)
	span := trace.SpanContextFromContext(ctx)
	if id == "" && !span.IsValid() {
		return h.next.Handle(ctx, r)
	}
	r = r.Clone()
	if id != "" {
		r.AddAttrs(slog.String(RequestIDKey, id))
	}
	if span.IsValid() {
		r.AddAttrs(slog.String(TraceIDKey, span.TraceID().String()), slog.String(SpanIDKey, span.SpanID().String()))
	}
	return h.next.Handle(ctx, r)
}

func (h ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ContextHandler{next: h.next.WithAttrs(attrs)}
}

func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{next: h.next.WithGroup(name)}
}
