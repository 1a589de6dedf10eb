// Package metrics is where Prometheus lives: the registry each binary serves on /metrics, and the
// recorders the transport, ordering, outbox and consumer packages count through. Those packages
// declare the small interfaces they need and never import Prometheus; every binary builds its own
// registry, so there is no global state and tests inspect a fresh one.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"example.com/gopher-template/ecommerce/internal/rabbit"
)

// Namespace turns an application name into a metric namespace: every character a metric name
// may not hold becomes an underscore ("my-shop" → "my_shop"), and a name that would start with
// a digit is prefixed with one. The constructors apply it to the namespace they are given, so
// config.AppName can be passed as it is.
func Namespace(appName string) string {
	var b strings.Builder
	for i, r := range appName {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	if err := register(reg,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	); err != nil {
		return nil, err
	}
	return reg, nil
}

// Handler serves the metrics in reg.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

func register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	var errs []error
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// HTTP times the API's requests.
type HTTP struct {
	duration *prometheus.HistogramVec
}

// NewHTTP registers the HTTP metrics on reg: <namespace>_http_request_duration_seconds by route,
// method and status (its _count is the number of requests).
func NewHTTP(reg prometheus.Registerer, namespace string) (*HTTP, error) {
	m := &HTTP{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace(namespace), Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern, method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
	}
	if err := register(reg, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// ObserveRequest records one answered request. route is the matched route's pattern
// (/v1/products/:id, never the path itself, which would grow a series per product); "" for a
// request no route matched. Methods outside the standard ones are counted as "other", so
// clients cannot grow the series without bound.
func (m *HTTP) ObserveRequest(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.duration.WithLabelValues(route, normalizeMethod(method), strconv.Itoa(status)).Observe(took.Seconds())
}

func normalizeMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return strings.ToLower(method)
	default:
		return "other"
	}
}

// Orders counts what became of the requests to place an order.
type Orders struct {
	placed   prometheus.Counter
	replayed prometheus.Counter
	rejected *prometheus.CounterVec
}

// NewOrders registers the order metrics on reg. reasons are the rejection reasons the caller
// uses; their series start at zero, so that dashboards and rate() see them before the first one.
func NewOrders(reg prometheus.Registerer, namespace string, reasons ...string) (*Orders, error) {
	ns := Namespace(namespace)
	m := &Orders{
		placed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "orders", Name: "placed_total",
			Help: "Orders placed: stock taken, order and outbox events committed.",
		}),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "orders", Name: "replayed_total",
			Help: "Requests that repeated an Idempotency-Key and got the first order back, placing nothing.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "orders", Name: "rejected_total",
			Help: "Requests to place an order that placed nothing, by reason.",
		}, []string{"reason"}),
	}
	if err := register(reg, m.placed, m.replayed, m.rejected); err != nil {
		return nil, err
	}
	for _, r := range reasons {
		m.rejected.WithLabelValues(r)
	}
	return m, nil
}

// OrderPlaced counts an order placed.
func (m *Orders) OrderPlaced() { m.placed.Inc() }

// OrderReplayed counts a request answered with the order its Idempotency-Key placed before.
func (m *Orders) OrderReplayed() { m.replayed.Inc() }

// OrderRejected counts a request that placed nothing. reason must come from a fixed set
// (insufficient_stock, unknown_product, idempotency_conflict, …), never from the request.
func (m *Orders) OrderRejected(reason string) { m.rejected.WithLabelValues(reason).Inc() }

// Outbox follows the outbox relay (outbox.Recorder) and the events waiting for it.
type Outbox struct {
	pending   prometheus.Gauge
	published prometheus.Counter
	failed    prometheus.Counter
}

// NewOutbox registers the outbox metrics on reg.
func NewOutbox(reg prometheus.Registerer, namespace string) (*Outbox, error) {
	ns := Namespace(namespace)
	m := &Outbox{
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: "outbox", Name: "pending_events",
			Help: "Outbox events not yet published, as last counted.",
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "outbox", Name: "published_total",
			Help: "Outbox events the broker confirmed and the relay marked published.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "outbox", Name: "relay_failures_total",
			Help: "Relay rounds that failed (broker or database); their events stay pending and go out on a later round.",
		}),
	}
	if err := register(reg, m.pending, m.published, m.failed); err != nil {
		return nil, err
	}
	return m, nil
}

// Relayed counts n events confirmed and marked published in one round.
func (m *Outbox) Relayed(n int) { m.published.Add(float64(max(n, 0))) }

// RelayFailed counts a failed round.
func (m *Outbox) RelayFailed() { m.failed.Inc() }

// SetPending sets the number of events waiting to be published.
func (m *Outbox) SetPending(n int) { m.pending.Set(float64(max(n, 0))) }

// PollPending sets the pending gauge from count (outbox.Store.Pending) every interval, each
// count within interval, until ctx ends. A count that fails leaves the gauge as it was: the
// relay reports the database's failures.
func (m *Outbox) PollPending(ctx context.Context, interval time.Duration, count func(context.Context) (int, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		countCtx, cancel := context.WithTimeout(ctx, interval)
		n, err := count(countCtx)
		cancel()
		if err == nil {
			m.SetPending(n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Consumers counts what the RabbitMQ consumers did with their deliveries (rabbit.Recorder).
type Consumers struct {
	messages   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	duplicates *prometheus.CounterVec
}

// NewConsumers registers the consumer metrics on reg. consumers are the consumers' names
// (rabbit.ConsumerOrderConfirmation, …); their series start at zero, so that dashboards and
// alerts on parked messages see them before the first one.
func NewConsumers(reg prometheus.Registerer, namespace string, consumers ...string) (*Consumers, error) {
	ns := Namespace(namespace)
	m := &Consumers{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "consumer", Name: "messages_total",
			Help: "Deliveries handled, by consumer and outcome: acked (processed, or already processed), retried (delay queue), parked (parking queue), unsettled (delivered again).",
		}, []string{"consumer", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: "consumer", Name: "handling_duration_seconds",
			Help:    "Time from delivery to settlement, by consumer.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"consumer"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: "consumer", Name: "duplicates_total",
			Help: "Deliveries of a message the consumer had already processed, acked without applying it again (counted as acked too).",
		}, []string{"consumer"}),
	}
	if err := register(reg, m.messages, m.duration, m.duplicates); err != nil {
		return nil, err
	}
	for _, c := range consumers {
		for _, o := range []rabbit.Outcome{rabbit.OutcomeAcked, rabbit.OutcomeRetried, rabbit.OutcomeParked, rabbit.OutcomeUnsettled} {
			m.messages.WithLabelValues(c, string(o))
		}
		m.duplicates.WithLabelValues(c)
	}
	return m, nil
}

// Handled records one delivery, settled with outcome after took.
func (m *Consumers) Handled(consumer string, outcome rabbit.Outcome, took time.Duration) {
	m.messages.WithLabelValues(consumer, string(outcome)).Inc()
	m.duration.WithLabelValues(consumer).Observe(took.Seconds())
}

// Duplicate counts a redelivered message the consumer had already processed.
func (m *Consumers) Duplicate(consumer string) { m.duplicates.WithLabelValues(consumer).Inc() }
