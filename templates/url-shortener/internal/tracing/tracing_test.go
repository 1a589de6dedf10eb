package tracing

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"example.com/gopher-template/url-shortener/internal/tracing/tracingtest"
)

func TestExportURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{name: "no endpoint", opts: Options{}, want: ""},
		{name: "base endpoint", opts: Options{Endpoint: "http://collector:4318"}, want: "http://collector:4318/v1/traces"},
		{name: "base endpoint with a slash", opts: Options{Endpoint: "http://collector:4318/"}, want: "http://collector:4318/v1/traces"},
		{name: "base endpoint with a path", opts: Options{Endpoint: "https://gateway.example.com/otlp"}, want: "https://gateway.example.com/otlp/v1/traces"},
		{name: "traces endpoint, as it is", opts: Options{TracesEndpoint: "https://traces.example.com/ingest"}, want: "https://traces.example.com/ingest"},
		{name: "traces endpoint wins", opts: Options{Endpoint: "http://collector:4318", TracesEndpoint: "http://other:4318/v1/traces"}, want: "http://other:4318/v1/traces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.opts.exportURL()
			if err != nil || got != tt.want {
				t.Errorf("exportURL() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestNoEndpointExportsNothing: without OTEL_EXPORTER_OTLP_ENDPOINT no exporter
// is made and there is no provider to make spans with.
func TestNoEndpointExportsNothing(t *testing.T) {
	t.Parallel()
	exporters := 0
	provider, err := newProvider(t.Context(), Options{ServiceName: "test"}, func(context.Context, string) (sdktrace.SpanExporter, error) {
		exporters++
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if provider.Tracing() != nil {
		t.Error("a tracer provider without an endpoint")
	}
	if exporters != 0 {
		t.Errorf("%d exporters made without an endpoint", exporters)
	}
	if err := provider.Shutdown(t.Context()); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
}

// TestExportsToEndpoint: with an endpoint, the spans reach it, with the
// service's name, by the time Shutdown returns.
func TestExportsToEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// endpoints get the collector's base URL.
		opts     func(base string) Options
		wantPath string
	}{
		{name: "OTEL_EXPORTER_OTLP_ENDPOINT", opts: func(base string) Options { return Options{Endpoint: base} }, wantPath: "/v1/traces"},
		{name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", opts: func(base string) Options { return Options{TracesEndpoint: base + "/ingest/spans"} }, wantPath: "/ingest/spans"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			collector := tracingtest.NewCollector(t)
			opts := tt.opts(collector.URL)
			opts.ServiceName, opts.ServiceVersion = "links-test", "v1.2.3"
			provider, err := New(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			_, span := provider.Tracing().Tracer("test").Start(t.Context(), "work")
			span.End()
			if err := provider.Shutdown(t.Context()); err != nil {
				t.Fatalf("Shutdown() = %v", err)
			}
			if paths := collector.Paths(); len(paths) != 1 || paths[0] != tt.wantPath {
				t.Errorf("export requests to %v, want one to %s", paths, tt.wantPath)
			}
			spans := collector.Spans()
			want := tracingtest.Span{Name: "work", TraceID: span.SpanContext().TraceID().String(), ServiceName: "links-test"}
			if len(spans) != 1 || spans[0] != want {
				t.Errorf("collector got %+v, want %+v", spans, want)
			}
		})
	}
}
