// Package metrics is where Prometheus lives: the registry every binary serves on /metrics, and
// the recorders the domain and gateway packages count through (they declare small interfaces
// and never import Prometheus).
package metrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes the services' own metric names (chat_auth_events_total, chat_ws_…), whatever
// the project is called: a project name may hold dashes, which a classic metric name may not, and
// dashboards and alerts keep working across renames.
const Namespace = "chat"

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return reg, nil
}

// Handler serves reg.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// Auth counts the auth service's events (auth.Recorder).
type Auth struct {
	events *prometheus.CounterVec
}

// NewAuth registers the auth metrics on reg.
func NewAuth(reg prometheus.Registerer, namespace string) (*Auth, error) {
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "auth", Name: "events_total",
		Help: "Auth events: register, login, login_failed, refresh, refresh_failed, refresh_reused, logout.",
	}, []string{"event"})
	if err := reg.Register(events); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &Auth{events: events}, nil
}

func (a *Auth) AuthEvent(event string) { a.events.WithLabelValues(event).Inc() }

// Gateway counts WebSocket connections and frames (gateway.Recorder).
type Gateway struct {
	connections prometheus.Gauge
	dropped     *prometheus.CounterVec
	delivered   prometheus.Counter
}

// NewGateway registers the gateway metrics on reg.
func NewGateway(reg prometheus.Registerer, namespace string) (*Gateway, error) {
	g := &Gateway{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: "ws", Name: "connections",
			Help: "Open WebSocket connections."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "ws", Name: "dropped_total",
			Help: "Connections dropped (slow_consumer, write_timeout, ping_timeout) and messages refused (rate_limited)."}, []string{"reason"}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: "ws", Name: "frames_delivered_total",
			Help: "Frames written to WebSocket clients."}),
	}
	for _, c := range []prometheus.Collector{g.connections, g.dropped, g.delivered} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return g, nil
}

func (g *Gateway) WSConnected(delta int)   { g.connections.Add(float64(delta)) }
func (g *Gateway) WSDropped(reason string) { g.dropped.WithLabelValues(reason).Inc() }
func (g *Gateway) WSDelivered()            { g.delivered.Inc() }
