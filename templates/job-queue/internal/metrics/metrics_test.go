package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"example.com/gopher-template/job-queue/internal/metrics"
)

func TestWorkerMetrics(t *testing.T) {
	t.Parallel()

	reg, err := metrics.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	m, err := metrics.NewWorker(reg, func() int { return 3 })
	if err != nil {
		t.Fatal(err)
	}
	m.Init([]string{"echo"}, []string{"succeeded", "failed", "dead", "aborted", "duplicate"})
	m.Finished("echo", "succeeded", 20*time.Millisecond)
	m.Retried("echo")
	m.DeadLettered("echo")

	want := `
# HELP jobqueue_jobs_in_flight Jobs running in this worker right now.
# TYPE jobqueue_jobs_in_flight gauge
jobqueue_jobs_in_flight 3
# HELP jobqueue_jobs_dead_lettered_total Jobs moved to the dead-letter stream, by type.
# TYPE jobqueue_jobs_dead_lettered_total counter
jobqueue_jobs_dead_lettered_total{type="echo"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "jobqueue_jobs_in_flight", "jobqueue_jobs_dead_lettered_total"); err != nil {
		t.Fatal(err)
	}
	// The duplicate-execution counter exists at zero from the start, for dashboards and alerts.
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP jobqueue_job_duplicate_executions_total Attempts that ran while another attempt of the same job ran or had run, by type. The claim keeps it at 0.
# TYPE jobqueue_job_duplicate_executions_total counter
jobqueue_job_duplicate_executions_total{type="echo"} 0
`), "jobqueue_job_duplicate_executions_total"); err != nil {
		t.Fatal(err)
	}
	// Init created every outcome at zero.
	if n := testutil.CollectAndCount(reg, "jobqueue_jobs_processed_total"); n != 5 {
		t.Errorf("jobs_processed_total has %d series, want 5", n)
	}
	// A second set of the same metrics cannot be registered.
	if _, err := metrics.NewWorker(reg, func() int { return 0 }); err == nil {
		t.Error("registering the worker metrics twice succeeded")
	}
}

func TestAPIInstrument(t *testing.T) {
	t.Parallel()

	reg, err := metrics.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	m, err := metrics.NewAPI(reg)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Instrument("/things/{id}", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/things/1", http.NoBody))
	m.Enqueued("echo")

	rec := httptest.NewRecorder()
	metrics.Handler(reg).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/metrics", http.NoBody))
	body := rec.Body.String()
	for _, want := range []string{
		`jobqueue_http_requests_total{code="418",method="get",route="/things/{id}"} 1`,
		`jobqueue_http_request_duration_seconds_count{method="get",route="/things/{id}"} 1`,
		`jobqueue_jobs_enqueued_total{type="echo"} 1`,
		"go_goroutines",
		"process_cpu_seconds_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
