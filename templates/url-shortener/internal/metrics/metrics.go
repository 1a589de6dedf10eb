// Package metrics defines the service's Prometheus metrics on a registry of
// its own (never the global default one). It implements the recorder
// interfaces that the domain packages declare (link.Recorder,
// hits.Recorder, localcache.Recorder) without importing them.
package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the registry and the collectors the service updates.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	redirects *prometheus.CounterVec
	cache     *prometheus.CounterVec
	// The series of requests, redirects and cache, resolved once per label
	// values: they are updated on every redirect.
	requestSeries  series[requestKey, requestSeries]
	redirectSeries series[string, prometheus.Counter]
	cacheSeries    series[string, prometheus.Counter]
	localHits      prometheus.Counter
	localMisses    prometheus.Counter
	hitFlushes     *prometheus.CounterVec
	hitsFlushed    prometheus.Counter
}

// Namespace turns an application name such as "url-shortener" into a metric
// namespace ("url_shortener"): classic Prometheus names hold no dashes.
func Namespace(appName string) string {
	return strings.ReplaceAll(appName, "-", "_")
}

// New registers the service's collectors, named <namespace>_..., plus Go
// runtime and process collectors, on a fresh registry.
func New(namespace string) (*Metrics, error) {
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
		hitFlushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "hit_flushes_total",
			Help:      "Flushes of counted hits to the database by result (ok, error).",
		}, []string{"result"}),
		hitsFlushed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "hits_flushed_total",
			Help:      "Hits stored in the database by flushes.",
		}),
	}
	local := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "local_cache_requests_total",
		Help:      "In-process link cache lookups by result (hit, miss); a miss asks Redis.",
	}, []string{"result"})
	// Both series exist from the start, and a lookup costs no label hashing.
	m.localHits, m.localMisses = local.WithLabelValues("hit"), local.WithLabelValues("miss")
	m.requestSeries.resolve = func(k requestKey) requestSeries {
		status := strconv.Itoa(k.status)
		return requestSeries{
			count:    m.requests.WithLabelValues(k.route, k.method, status),
			duration: m.durations.WithLabelValues(k.route, k.method, status),
		}
	}
	m.redirectSeries.resolve = func(result string) prometheus.Counter { return m.redirects.WithLabelValues(result) }
	m.cacheSeries.resolve = func(result string) prometheus.Counter { return m.cache.WithLabelValues(result) }
	var errs []error
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.durations, m.redirects, m.cache, local, m.hitFlushes, m.hitsFlushed,
	} {
		errs = append(errs, m.registry.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// knownMethods are the methods a request's series is labelled with.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// requestKey holds the label values of a request's series.
type requestKey struct {
	route, method string
	status        int
}

// requestSeries are the series a request updates.
type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// ObserveRequest records one served HTTP request. A method outside
// knownMethods is recorded as "OTHER": a client choosing the label values
// could otherwise grow the series without bound.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if !knownMethods[method] {
		method = "OTHER"
	}
	s := m.requestSeries.get(requestKey{route: route, method: method, status: status})
	s.count.Inc()
	s.duration.Observe(d.Seconds())
}

// Resolved records the result of a redirect lookup (link.Recorder).
func (m *Metrics) Resolved(result string) {
	m.redirectSeries.get(result).Inc()
}

// CacheLookup records the result of a link cache read (link.Recorder).
func (m *Metrics) CacheLookup(result string) {
	m.cacheSeries.get(result).Inc()
}

// series keeps the series of a metric vector by their label values K, so
// that updating one costs a map lookup: the vector's WithLabelValues hashes
// the values and takes a lock on every call. A series is resolved when its
// values are first seen, so /metrics shows the same series as without it.
// The vectors' series are never deleted, so a kept one stays registered.
type series[K comparable, S any] struct {
	// byLabels maps K to *S: asserting a pointer type out of an any is a
	// comparison, where asserting an interface type (a prometheus.Counter)
	// looks up its method table.
	byLabels sync.Map
	resolve  func(K) S
}

func (s *series[K, S]) get(labels K) S {
	if v, ok := s.byLabels.Load(labels); ok {
		return *v.(*S)
	}
	resolved := s.resolve(labels)
	v, _ := s.byLabels.LoadOrStore(labels, &resolved)
	return *v.(*S)
}

// LocalCacheLookup records whether a lookup was served by the in-process
// cache (localcache.Recorder).
func (m *Metrics) LocalCacheLookup(hit bool) {
	if hit {
		m.localHits.Inc()
		return
	}
	m.localMisses.Inc()
}

// HitsFlushed records a flush of counted hits (hits.Recorder).
func (m *Metrics) HitsFlushed(hits int64, err error) {
	if err != nil {
		m.hitFlushes.WithLabelValues("error").Inc()
		return
	}
	m.hitFlushes.WithLabelValues("ok").Inc()
	m.hitsFlushed.Add(float64(hits))
}
