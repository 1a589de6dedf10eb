// Package metrics defines the Prometheus metrics of both binaries. Each binary builds its own
// registry: there is no global state, and tests can inspect a fresh registry.
package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name; the Grafana dashboard in deploy/grafana queries them.
const Namespace = "jobqueue"

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
		return fmt.Errorf("register metrics: %w", err)
	}
	return nil
}

// API holds the metrics of the API binary.
type API struct {
	enqueued *prometheus.CounterVec
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewAPI registers the API metrics with reg.
func NewAPI(reg prometheus.Registerer) (*API, error) {
	m := &API{
		enqueued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "jobs_enqueued_total",
			Help: "Jobs accepted by the API, by type (idempotent repeats are not counted).",
		}, []string{"type"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request latency, by route and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	if err := register(reg, m.enqueued, m.requests, m.latency); err != nil {
		return nil, err
	}
	return m, nil
}

// Enqueued counts a job accepted by the API.
func (m *API) Enqueued(jobType string) { m.enqueued.WithLabelValues(jobType).Inc() }

// Instrument wraps h, counting and timing its requests under the route label.
func (m *API) Instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		method := strings.ToLower(r.Method)
		m.requests.WithLabelValues(route, method, strconv.Itoa(sw.status)).Inc()
		m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Worker holds the metrics of the worker binary. It implements worker.Recorder.
type Worker struct {
	processed    *prometheus.CounterVec
	retries      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	duplicates   *prometheus.CounterVec
	duration     *prometheus.HistogramVec
}

// NewWorker registers the worker metrics with reg. inFlight reports the number of jobs running.
func NewWorker(reg prometheus.Registerer, inFlight func() int) (*Worker, error) {
	m := &Worker{
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "jobs_processed_total",
			Help: "Deliveries finished, by type and outcome (succeeded, failed, dead, aborted; duplicate and held: redeliveries not run).",
		}, []string{"type", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "job_retries_total",
			Help: "Failed attempts scheduled for another try, by type.",
		}, []string{"type"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "jobs_dead_lettered_total",
			Help: "Jobs moved to the dead-letter stream, by type.",
		}, []string{"type"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "job_duplicate_executions_total",
			Help: "Attempts that ran while another attempt of the same job ran or had run, by type. The claim keeps it at 0.",
		}, []string{"type"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "job_duration_seconds",
			Help:    "Time spent on one job attempt, handler and bookkeeping, by type and outcome.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"type", "outcome"}),
	}
	inFlightGauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "jobs_in_flight",
		Help: "Jobs running in this worker right now.",
	}, func() float64 { return float64(inFlight()) })
	if err := register(reg, m.processed, m.retries, m.deadLettered, m.duplicates, m.duration, inFlightGauge); err != nil {
		return nil, err
	}
	return m, nil
}

// Init creates the series of the given job types and outcomes at zero, so that dashboards and
// rate() see them before the first job of each type finishes.
func (m *Worker) Init(jobTypes, outcomes []string) {
	for _, t := range jobTypes {
		for _, o := range outcomes {
			m.processed.WithLabelValues(t, o)
		}
		m.retries.WithLabelValues(t)
		m.deadLettered.WithLabelValues(t)
		m.duplicates.WithLabelValues(t)
	}
}

// Finished records the end of one attempt.
func (m *Worker) Finished(jobType, outcome string, took time.Duration) {
	m.processed.WithLabelValues(jobType, outcome).Inc()
	m.duration.WithLabelValues(jobType, outcome).Observe(took.Seconds())
}

// Retried counts an attempt that will be retried.
func (m *Worker) Retried(jobType string) { m.retries.WithLabelValues(jobType).Inc() }

// DeadLettered counts a job moved to the dead-letter stream.
func (m *Worker) DeadLettered(jobType string) { m.deadLettered.WithLabelValues(jobType).Inc() }

// DuplicateExecution counts an attempt that ran while another attempt of the same job ran too.
func (m *Worker) DuplicateExecution(jobType string) { m.duplicates.WithLabelValues(jobType).Inc() }
