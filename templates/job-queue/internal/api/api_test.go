package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/gopher-template/plumbing/health"

	"example.com/gopher-template/job-queue/internal/api"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/jobs/jobstest"
	"example.com/gopher-template/job-queue/internal/metrics"
)

// fakeJobs answers with fixed results and records the last request.
type fakeJobs struct {
	res    jobs.EnqueueResult
	rec    jobs.Record
	err    error
	gotReq jobs.Request
}

func (f *fakeJobs) Enqueue(_ context.Context, req jobs.Request) (jobs.EnqueueResult, error) {
	f.gotReq = req
	return f.res, f.err
}

func (f *fakeJobs) EnqueueBatch(_ context.Context, reqs []jobs.Request) ([]jobs.EnqueueResult, []error, error) {
	if f.err != nil {
		return nil, nil, f.err
	}
	results, errs := make([]jobs.EnqueueResult, len(reqs)), make([]error, len(reqs))
	for i := range reqs {
		results[i] = f.res
		results[i].Record.ID = fmt.Sprintf("J%d", i+1)
	}
	return results, errs, nil
}

func (f *fakeJobs) Get(_ context.Context, id string) (jobs.Record, error) {
	if f.err != nil {
		return jobs.Record{}, f.err
	}
	if id != f.rec.ID {
		return jobs.Record{}, fmt.Errorf("get %s: %w", id, jobs.ErrNotFound)
	}
	return f.rec, nil
}

type testServer struct {
	handler http.Handler
	reg     *prometheus.Registry
}

func newServer(t *testing.T, svc api.Jobs, ready func(context.Context) error) testServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.NewAPI(reg)
	if err != nil {
		t.Fatal(err)
	}
	if ready == nil {
		ready = func(context.Context) error { return nil }
	}
	h := api.NewServer(slog.New(slog.DiscardHandler), api.Options{
		Jobs: svc, Metrics: m, MetricsHandler: metrics.Handler(reg),
		Checks: []health.Check{{Name: "nats", Required: true, Check: ready}},
	})
	return testServer{handler: h, reg: reg}
}

func (s testServer) do(t *testing.T, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader = http.NoBody
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(t.Context(), method, target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	return rec
}

// TestEnqueueRequiresJSON: an HTML form on any web site can POST
// form-encoded, multipart or text/plain bodies without a CORS preflight; the
// API takes application/json bodies only, and says so with 415.
func TestEnqueueRequiresJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contentType string
		wantCode    int
	}{
		{contentType: "application/json", wantCode: http.StatusAccepted},
		{contentType: "application/json; charset=utf-8", wantCode: http.StatusAccepted},
		{contentType: "text/plain", wantCode: http.StatusUnsupportedMediaType},
		{contentType: "application/x-www-form-urlencoded", wantCode: http.StatusUnsupportedMediaType},
		{contentType: "multipart/form-data; boundary=x", wantCode: http.StatusUnsupportedMediaType},
		{contentType: "", wantCode: http.StatusUnsupportedMediaType},
	}
	for _, target := range []string{"/api/v1/jobs", "/api/v1/jobs/batch"} {
		for _, tt := range tests {
			t.Run(target+" "+tt.contentType, func(t *testing.T) {
				t.Parallel()
				fake := &fakeJobs{res: jobs.EnqueueResult{Record: jobs.Record{ID: "J1", Type: "echo", Status: jobs.StatusQueued}}}
				s := newServer(t, fake, nil)
				body := `{"type":"echo"}`
				if strings.HasSuffix(target, "/batch") {
					body = `{"jobs":[{"type":"echo"}]}`
				}
				req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, target, strings.NewReader(body))
				if tt.contentType != "" {
					req.Header.Set("Content-Type", tt.contentType)
				}
				rec := httptest.NewRecorder()
				s.handler.ServeHTTP(rec, req)
				if rec.Code != tt.wantCode {
					t.Errorf("status = %d %s, want %d", rec.Code, rec.Body, tt.wantCode)
				}
			})
		}
	}
}

func TestEnqueue(t *testing.T) {
	t.Parallel()

	queued := jobs.EnqueueResult{Record: jobs.Record{ID: "J1", Type: "echo", Status: jobs.StatusQueued}}
	tests := []struct {
		name         string
		body         string
		fake         fakeJobs
		wantCode     int
		wantBody     string
		wantEnqueued float64
	}{
		{name: "accepted", body: `{"type":"echo","payload":{"a":1}}`, fake: fakeJobs{res: queued}, wantCode: http.StatusAccepted, wantBody: `{"id":"J1","status":"queued"}`, wantEnqueued: 1},
		{name: "duplicate is accepted but not counted", body: `{"type":"echo","idempotency_key":"k"}`, fake: fakeJobs{res: jobs.EnqueueResult{Record: queued.Record, Duplicate: true}}, wantCode: http.StatusAccepted, wantBody: `"id":"J1"`},
		{name: "malformed json", body: `{"type":`, wantCode: http.StatusBadRequest, wantBody: "malformed JSON: the body ends too early"},
		{name: "unknown field", body: `{"type":"echo","priority":1}`, wantCode: http.StatusBadRequest, wantBody: "unknown field"},
		{name: "two values", body: `{"type":"echo"}{"type":"echo"}`, wantCode: http.StatusBadRequest, wantBody: "unexpected data after the JSON object"},
		{name: "too large", body: `{"type":"echo","payload":"` + strings.Repeat("x", 1<<20) + `"}`, wantCode: http.StatusRequestEntityTooLarge},
		{name: "explicit zero attempts", body: `{"type":"echo","max_attempts":0}`, fake: fakeJobs{res: queued}, wantCode: http.StatusBadRequest, wantBody: "max_attempts"},
		{name: "too many attempts", body: `{"type":"echo","max_attempts":26}`, fake: fakeJobs{res: queued}, wantCode: http.StatusBadRequest, wantBody: "max_attempts"},
		{name: "invalid job", body: `{"type":"echo"}`, fake: fakeJobs{err: fmt.Errorf("%w: bad", jobs.ErrInvalid)}, wantCode: http.StatusBadRequest, wantBody: "bad"},
		{name: "conflict", body: `{"type":"echo","idempotency_key":"k"}`, fake: fakeJobs{err: jobs.ErrConflict}, wantCode: http.StatusConflict},
		{name: "queue down", body: `{"type":"echo"}`, fake: fakeJobs{err: errors.New("nats: timeout")}, wantCode: http.StatusServiceUnavailable, wantBody: "try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := tt.fake
			s := newServer(t, &fake, nil)
			rec := s.do(t, http.MethodPost, "/api/v1/jobs", tt.body)
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("got %d %s, want %d containing %s", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			got := enqueued(t, s.reg)
			if got != tt.wantEnqueued {
				t.Errorf("jobs_enqueued_total = %v, want %v", got, tt.wantEnqueued)
			}
		})
	}
}

// enqueued sums jobqueue_jobs_enqueued_total over job types.
func enqueued(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() == "jobqueue_jobs_enqueued_total" {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func TestGetJob(t *testing.T) {
	t.Parallel()

	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := jobs.Record{ID: "J1", Type: "flaky", Status: jobs.StatusFailed, Attempts: 2, MaxAttempts: 5, LastError: "boom", CreatedAt: created, UpdatedAt: created}
	tests := []struct {
		name     string
		path     string
		fake     fakeJobs
		wantCode int
		wantBody string
	}{
		{name: "found", path: "/api/v1/jobs/J1", fake: fakeJobs{rec: rec}, wantCode: http.StatusOK,
			wantBody: `{"id":"J1","type":"flaky","status":"failed","attempts":2,"max_attempts":5,"last_error":"boom","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z"}`},
		{name: "unknown", path: "/api/v1/jobs/NOPE", fake: fakeJobs{rec: rec}, wantCode: http.StatusNotFound, wantBody: `{"error":"job not found"}`},
		{name: "store down", path: "/api/v1/jobs/J1", fake: fakeJobs{err: errors.New("timeout")}, wantCode: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := tt.fake
			got := newServer(t, &fake, nil).do(t, http.MethodGet, tt.path, "")
			if got.Code != tt.wantCode || !strings.Contains(got.Body.String(), tt.wantBody) {
				t.Fatalf("got %d %s, want %d containing %s", got.Code, got.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()

	s := newServer(t, &fakeJobs{}, func(context.Context) error { return errors.New("nats not connected") })
	tests := []struct {
		method, path string
		wantCode     int
		wantBody     string
	}{
		{http.MethodGet, "/healthz", http.StatusOK, `"ok"`},
		{http.MethodGet, "/readyz", http.StatusServiceUnavailable, `"nats":"unavailable"`},
		{http.MethodGet, "/metrics", http.StatusOK, ""},
		{http.MethodGet, "/api/v1/jobs", http.StatusMethodNotAllowed, ""},
		{http.MethodDelete, "/api/v1/jobs/J1", http.StatusMethodNotAllowed, ""},
		{http.MethodGet, "/nope", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		rec := s.do(t, tt.method, tt.path, "")
		if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
			t.Errorf("%s %s = %d %s, want %d containing %q", tt.method, tt.path, rec.Code, rec.Body, tt.wantCode, tt.wantBody)
		}
		// The API sits behind apiheaders.Middleware: browsers may not sniff, render or frame it.
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options = %q, want nosniff", tt.method, tt.path, got)
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("%s %s: Content-Security-Policy = %q", tt.method, tt.path, got)
		}
	}
}

// TestRoundTrip goes through the real service with in-memory adapters.
func TestRoundTrip(t *testing.T) {
	t.Parallel()

	svc, err := jobs.NewService(jobstest.NewStore(), &jobstest.Publisher{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, svc, nil)

	rec := s.do(t, http.MethodPost, "/api/v1/jobs", `{"type":"echo","payload":{"hello":"world"},"max_attempts":7}`)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("POST = %d %s", rec.Code, rec.Body)
	}
	var created struct{ ID, Status string }
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	if loc := rec.Header().Get("Location"); loc != "/api/v1/jobs/"+created.ID {
		t.Errorf("Location = %q", loc)
	}

	rec = s.do(t, http.MethodGet, "/api/v1/jobs/"+created.ID, "")
	var job jobs.Record
	if err := json.Unmarshal(rec.Body.Bytes(), &job); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET = %d %s (%v)", rec.Code, rec.Body, err)
	}
	if job.ID != created.ID || job.Status != jobs.StatusQueued || job.MaxAttempts != 7 || job.Type != "echo" || job.CreatedAt.IsZero() {
		t.Errorf("job = %+v", job)
	}
	if got := enqueued(t, s.reg); got != 1 {
		t.Errorf("jobs_enqueued_total = %v, want 1", got)
	}
}

// TestEnqueueValidation goes through the real service: what the README promises about
// max_attempts and idempotency keys holds at the HTTP boundary.
func TestEnqueueValidation(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		bodies   []string // sent in order; the last one's answer is checked
		wantCode int
		wantBody string
	}{
		{name: "max_attempts absent takes the default", bodies: []string{`{"type":"echo"}`}, wantCode: http.StatusAccepted},
		{name: "max_attempts 1", bodies: []string{`{"type":"echo","max_attempts":1}`}, wantCode: http.StatusAccepted},
		{name: "max_attempts 25", bodies: []string{`{"type":"echo","max_attempts":25}`}, wantCode: http.StatusAccepted},
		{name: "max_attempts 0", bodies: []string{`{"type":"echo","max_attempts":0}`}, wantCode: http.StatusBadRequest, wantBody: "max_attempts"},
		{name: "max_attempts -1", bodies: []string{`{"type":"echo","max_attempts":-1}`}, wantCode: http.StatusBadRequest, wantBody: "max_attempts"},
		{name: "max_attempts 26", bodies: []string{`{"type":"echo","max_attempts":26}`}, wantCode: http.StatusBadRequest, wantBody: "max_attempts"},
		{name: "key repeated", bodies: []string{
			`{"type":"echo","payload":{"n":1},"idempotency_key":"k"}`,
			`{"type":"echo","payload":{"n":1},"idempotency_key":"k"}`,
		}, wantCode: http.StatusAccepted},
		{name: "key reused for another type", bodies: []string{
			`{"type":"echo","payload":{"n":1},"idempotency_key":"k"}`,
			`{"type":"sleep","payload":{"n":1},"idempotency_key":"k"}`,
		}, wantCode: http.StatusConflict},
		{name: "key reused for another payload", bodies: []string{
			`{"type":"echo","payload":{"n":1},"idempotency_key":"k"}`,
			`{"type":"echo","payload":{"n":2},"idempotency_key":"k"}`,
		}, wantCode: http.StatusConflict, wantBody: "idempotency key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, err := jobs.NewService(jobstest.NewStore(), &jobstest.Publisher{}, 5)
			if err != nil {
				t.Fatal(err)
			}
			s := newServer(t, svc, nil)
			var rec *httptest.ResponseRecorder
			for _, body := range tt.bodies {
				rec = s.do(t, http.MethodPost, "/api/v1/jobs", body)
			}
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("got %d %s, want %d containing %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestEnqueueBatch(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name         string
		body         string
		wantCode     int
		wantBody     string
		wantEnqueued float64
	}{
		{name: "accepted", body: `{"jobs":[{"type":"echo"},{"type":"flaky","payload":{"fail_times":1}}]}`, wantCode: http.StatusAccepted, wantBody: `"status":"queued"`, wantEnqueued: 2},
		{name: "empty", body: `{"jobs":[]}`, wantCode: http.StatusBadRequest, wantBody: "1 to 1000"},
		{name: "too many", body: `{"jobs":[` + strings.Repeat(`{"type":"echo"},`, 1000) + `{"type":"echo"}]}`, wantCode: http.StatusBadRequest, wantBody: "not 1001"},
		{name: "one invalid rejects all", body: `{"jobs":[{"type":"echo"},{"type":"Nope"}]}`, wantCode: http.StatusBadRequest, wantBody: "job 1"},
		{name: "explicit zero attempts", body: `{"jobs":[{"type":"echo","max_attempts":0}]}`, wantCode: http.StatusBadRequest, wantBody: "job 0"},
		{name: "key reused within the batch", body: `{"jobs":[{"type":"echo","idempotency_key":"k"},{"type":"sleep","idempotency_key":"k"}]}`, wantCode: http.StatusConflict, wantBody: `"error":"enqueue`, wantEnqueued: 1},
		{name: "unknown field", body: `{"jobs":[{"type":"echo","priority":1}]}`, wantCode: http.StatusBadRequest, wantBody: "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, err := jobs.NewService(jobstest.NewStore(), &jobstest.Publisher{}, 5)
			if err != nil {
				t.Fatal(err)
			}
			s := newServer(t, svc, nil)
			rec := s.do(t, http.MethodPost, "/api/v1/jobs/batch", tt.body)
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("got %d %.300s, want %d containing %s", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
			if got := enqueued(t, s.reg); got != tt.wantEnqueued {
				t.Errorf("jobs_enqueued_total = %v, want %v", got, tt.wantEnqueued)
			}
		})
	}

	// The queue down: every job says so, and the answer is 503.
	s := newServer(t, &fakeJobs{err: errors.New("nats: timeout")}, nil)
	if rec := s.do(t, http.MethodPost, "/api/v1/jobs/batch", `{"jobs":[{"type":"echo"}]}`); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("batch with the queue down = %d %s, want 503", rec.Code, rec.Body)
	}
}
