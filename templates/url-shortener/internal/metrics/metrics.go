// Package metrics defines the service's Prometheus metrics on a registry of
// its own (never the global default one).
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"example.com/gopher-template/url-shortener/internal/link"
)

const namespace = "shortener"

// Metrics holds the registry and the collectors the service updates.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	redirects *prometheus.CounterVec
	cache     *prometheus.CounterVec
}

// New registers the service's collectors, plus Go runtime and process
// collectors, on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "http_requests_total",
			Help:      "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "http_request_duration_seconds",
			Help:      "HTTP request latency by route, method and status code.",
			Buckets:   []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method", "status"}),
		redirects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "redirects_total",
			Help:      "Redirect lookups by result (found, not_found, expired, error).",
		}, []string{"result"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "cache_requests_total",
			Help:      "Link cache lookups by result (hit, miss, error).",
		}, []string{"result"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.durations, m.redirects, m.cache,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// ObserveRequest records one served HTTP request.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, method, code).Inc()
	m.durations.WithLabelValues(route, method, code).Observe(d.Seconds())
}

// Redirect records the result of a redirect lookup.
func (m *Metrics) Redirect(result string) {
	m.redirects.WithLabelValues(result).Inc()
}

// InstrumentCache wraps c so that its lookups are counted.
func (m *Metrics) InstrumentCache(c link.Cache) link.Cache {
	return instrumentedCache{Cache: c, lookups: m.cache}
}

type instrumentedCache struct {
	link.Cache
	lookups *prometheus.CounterVec
}

func (c instrumentedCache) Get(ctx context.Context, code string) (link.Link, bool, error) {
	l, found, err := c.Cache.Get(ctx, code)
	switch {
	case err != nil:
		c.lookups.WithLabelValues("error").Inc()
	case found:
		c.lookups.WithLabelValues("hit").Inc()
	default:
		c.lookups.WithLabelValues("miss").Inc()
	}
	return l, found, err
}
