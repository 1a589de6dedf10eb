// Package httpapi is the HTTP interface of the service, built on Gin. Gin
// stays inside this package: NewServer returns a plain http.Handler.
package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"example.com/gopher-template/plumbing/apiheaders"
	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/metrics"
	"example.com/gopher-template/url-shortener/internal/ratelimit"
)

// Bounds of the per-client rate limiter's memory.
const (
	rateLimitMaxClients = 10_000
	rateLimitIdleTTL    = 10 * time.Minute
)

// Options are the settings of the HTTP interface.
type Options struct {
	// BaseURL prefixes the short URLs in responses, e.g. https://sho.rt.
	BaseURL string
	// APIToken, when not empty, is required as a bearer token on /api/v1.
	APIToken string
	// TrustedProxies lists the proxy IPs or CIDRs whose X-Forwarded-For
	// header is believed when finding the client IP; none when empty.
	TrustedProxies []string
	// RateLimitRPS and RateLimitBurst limit link creations per client IP.
	RateLimitRPS   float64
	RateLimitBurst int
	// TracerProvider makes a server span of every request but probes and
	// scrapes (untracedPaths), named by its route; nil makes none.
	TracerProvider trace.TracerProvider
	// Propagator reads the caller's trace context from the request headers;
	// nil reads none.
	Propagator propagation.TextMapPropagator
}

// untracedPaths are probed or scraped every few seconds and use no
// dependency: they make no spans. /readyz does, with its checks.
var untracedPaths = map[string]bool{"/healthz": true, "/metrics": true}

// server holds what the handlers need.
type server struct {
	logger   *slog.Logger
	links    *link.Service
	metrics  *metrics.Metrics
	limiter  *ratelimit.Limiter
	baseURL  string
	apiToken string
}

// NewServer returns the service's HTTP handler: the Gin engine behind
// apiheaders.Middleware, which sets the headers that keep browsers from
// rendering or framing responses, logging.Middleware, which gives every
// request an ID, recovers panics and writes the access log, and otelhttp,
// which starts the request's server span (continuing the caller's W3C trace)
// before any of them, so that every log line of the request carries its
// trace ID. /readyz runs checks.
func NewServer(logger *slog.Logger, opts Options, links *link.Service, m *metrics.Metrics, checks ...health.Check) (http.Handler, error) {
	s := &server{
		logger:   logger,
		links:    links,
		metrics:  m,
		limiter:  ratelimit.New(opts.RateLimitRPS, opts.RateLimitBurst, rateLimitMaxClients, rateLimitIdleTTL),
		baseURL:  strings.TrimRight(opts.BaseURL, "/"),
		apiToken: opts.APIToken,
	}

	r := gin.New()
	// Only believe X-Forwarded-For from configured proxies; by default the
	// client IP is the peer address.
	if err := r.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, fmt.Errorf("httpapi: trusted proxies: %w", err)
	}
	r.Use(nameSpan, s.observe)
	r.NoRoute(func(c *gin.Context) { writeError(c, http.StatusNotFound, "not found") })
	addRoutes(r, s, health.Readyz(logger, checks...))
	return traceRequests(opts)(logging.Middleware(logger)(apiheaders.Middleware(r))), nil
}

// traceRequests starts a server span for each request, as opts say. Without
// a tracer provider it makes no span, but a caller's trace context still
// reaches the request's context, so its log lines carry the caller's IDs.
func traceRequests(opts Options) func(http.Handler) http.Handler {
	provider, propagator := opts.TracerProvider, opts.Propagator
	if propagator == nil {
		propagator = propagation.NewCompositeTextMapPropagator()
	}
	if provider == nil {
		return continueTrace(propagator)
	}
	return otelhttp.NewMiddleware("http.server",
		otelhttp.WithTracerProvider(provider),
		otelhttp.WithPropagators(propagator),
		otelhttp.WithFilter(func(r *http.Request) bool { return !untracedPaths[r.URL.Path] }),
	)
}

// continueTrace puts the trace context of a request that carries one (the
// propagator's headers) into its context, and leaves other requests as they
// are, at the cost of a header lookup.
func continueTrace(propagator propagation.TextMapPropagator) func(http.Handler) http.Handler {
	fields := propagator.Fields()
	for i, field := range fields {
		fields[i] = http.CanonicalHeaderKey(field)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, field := range fields {
				if _, ok := r.Header[field]; ok {
					r = r.WithContext(propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header)))
					break
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
