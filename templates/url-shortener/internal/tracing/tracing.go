// Package tracing sets up OpenTelemetry tracing for the process: a tracer
// provider that every span of the service comes from, and the W3C trace
// context propagator that continues a caller's trace. The provider is passed
// to what makes spans (the HTTP handler, the PostgreSQL and Redis clients);
// nothing here is installed process-wide.
package tracing

import (
	"context"
	"fmt"
	"net/url"
	"path"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// tracesPath is where an OTLP/HTTP collector takes spans, under the base URL
// of OTEL_EXPORTER_OTLP_ENDPOINT.
const tracesPath = "/v1/traces"

// Options say what the spans describe and where they go.
type Options struct {
	// ServiceName and ServiceVersion are the service.name and
	// service.version of every span.
	ServiceName    string
	ServiceVersion string
	// Endpoint is the base URL of an OTLP/HTTP collector
	// (OTEL_EXPORTER_OTLP_ENDPOINT): spans go to its /v1/traces.
	Endpoint string
	// TracesEndpoint is the full URL spans go to
	// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); it wins over Endpoint.
	TracesEndpoint string
}

// exportURL is the URL spans are sent to, or "" when no endpoint is set.
func (o Options) exportURL() (string, error) {
	if o.TracesEndpoint != "" {
		return o.TracesEndpoint, nil
	}
	if o.Endpoint == "" {
		return "", nil
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil {
		return "", fmt.Errorf("tracing: endpoint: %w", err)
	}
	u.Path = path.Join("/", u.Path, tracesPath)
	return u.String(), nil
}

// newExporter makes the exporter that sends spans to url.
type newExporter func(ctx context.Context, url string) (sdktrace.SpanExporter, error)

// otlpHTTP sends spans as OTLP protobuf over HTTP to url. The other
// OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression, TLS
// certificates) are read by the exporter itself.
func otlpHTTP(ctx context.Context, url string) (sdktrace.SpanExporter, error) {
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(url))
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	return exporter, nil
}

// Provider is the process's tracer provider, and the way to flush it.
type Provider struct {
	// sdk records and exports the spans; nil when nothing is exported.
	sdk *sdktrace.TracerProvider
}

// New returns the process's tracer provider. With an endpoint in opts, its
// spans are sampled as the caller's trace says, or all of them for a new
// trace (OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG choose another
// sampler), and exported in batches. Without one there is nothing to record
// spans for: Tracing is nil, and the service leaves its instrumentation out
// (a redirect served from memory would spend more on spans nobody reads than
// on itself), passing a caller's trace context on to its logs only.
// Shutdown flushes the spans not yet exported: call it on the way out.
func New(ctx context.Context, opts Options) (*Provider, error) {
	return newProvider(ctx, opts, otlpHTTP)
}

func newProvider(ctx context.Context, opts Options, exporterFor newExporter) (*Provider, error) {
	target, err := opts.exportURL()
	if err != nil {
		return nil, err
	}
	if target == "" {
		return &Provider{}, nil
	}
	// The defaults read OTEL_RESOURCE_ATTRIBUTES; the service is named here.
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(opts.ServiceName),
		semconv.ServiceVersion(opts.ServiceVersion),
	))
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	exporter, err := exporterFor(ctx, target)
	if err != nil {
		return nil, err
	}
	return &Provider{sdk: sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(exporter))}, nil
}

// Tracing is the tracer provider spans are made with, or nil when they are
// not exported.
func (p *Provider) Tracing() trace.TracerProvider {
	if p.sdk == nil {
		return nil
	}
	return p.sdk
}

// Shutdown exports the spans p still holds and stops it, by ctx's deadline.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p.sdk == nil {
		return nil
	}
	if err := p.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flush spans: %w", err)
	}
	return nil
}

// Propagator reads and writes the W3C traceparent, tracestate and baggage
// headers.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}
