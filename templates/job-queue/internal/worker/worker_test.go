package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/gopher-template/job-queue/internal/backoff"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/jobs/jobstest"
	"example.com/gopher-template/job-queue/internal/metrics"
	"example.com/gopher-template/job-queue/internal/pool"
	"example.com/gopher-template/job-queue/internal/worker"
)

var errTransient = errors.New("transient")

type harness struct {
	store   *jobstest.Store
	dead    *jobstest.DeadLetterer
	reg     *prometheus.Registry
	pool    *pool.Pool
	proc    *worker.Processor
	handled atomic.Int64
}

// newHarness builds a processor whose "test" handler is h. Backoff draws the maximum delay.
func newHarness(t *testing.T, h jobs.HandlerFunc, cfg worker.Config) *harness {
	t.Helper()
	hs := &harness{store: jobstest.NewStore(), dead: &jobstest.DeadLetterer{}, reg: prometheus.NewRegistry()}
	p, err := pool.New(pool.Config{Size: 4, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	hs.pool = p
	m, err := metrics.NewWorker(hs.reg, p.Running)
	if err != nil {
		t.Fatal(err)
	}
	registry := jobs.NewRegistry()
	if err := registry.Register("test", jobs.HandlerFunc(func(ctx context.Context, j jobs.Job) error {
		hs.handled.Add(1)
		return h(ctx, j)
	})); err != nil {
		t.Fatal(err)
	}
	if cfg.Backoff.Base == 0 {
		cfg.Backoff = backoff.Policy{Base: time.Second, Max: time.Minute, Int64N: func(n int64) int64 { return n - 1 }}
	}
	hs.proc = worker.NewProcessor(slog.New(slog.DiscardHandler), registry, hs.store, hs.dead, m, cfg)
	return hs
}

// process runs one delivery through the pool and waits for it to settle.
func (hs *harness) process(t *testing.T, d *jobstest.Delivery) {
	t.Helper()
	if err := hs.pool.Submit(t.Context(), hs.proc.Task(d)); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if err := hs.pool.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func envelope(t *testing.T, id, typ string, maxAttempts int) []byte {
	t.Helper()
	b, err := json.Marshal(jobs.Envelope{ID: id, Type: typ, Payload: json.RawMessage(`{}`), MaxAttempts: maxAttempts})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProcessor(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name        string
		handler     jobs.HandlerFunc
		body        func(t *testing.T) []byte
		attempt     int
		existing    *jobs.Record // record already stored for the job (ID, type and max attempts are filled in)
		failPut     jobs.Status  // Put fails for records with this status
		deadErr     error
		wantSettle  jobstest.Settlement
		wantDelay   time.Duration
		wantStatus  jobs.Status // "" means no record expected
		wantErrText string      // in last_error / dead letter
		wantRuns    int64
		wantDead    bool
		wantAttempt int // attempts in the dead letter; 0 means the delivery's
		wantOutcome string
	}{
		{
			name:        "success acks",
			handler:     func(context.Context, jobs.Job) error { return nil },
			attempt:     1,
			wantSettle:  jobstest.Acked,
			wantStatus:  jobs.StatusSucceeded,
			wantRuns:    1,
			wantOutcome: metrics.OutcomeSucceeded,
		},
		{
			name:        "failure retries with backoff",
			handler:     func(context.Context, jobs.Job) error { return errTransient },
			attempt:     2,
			wantSettle:  jobstest.Retried,
			wantDelay:   2 * time.Second,
			wantStatus:  jobs.StatusFailed,
			wantErrText: "transient",
			wantRuns:    1,
			wantOutcome: metrics.OutcomeFailed,
		},
		{
			name:        "last attempt dead-letters",
			handler:     func(context.Context, jobs.Job) error { return errTransient },
			attempt:     3,
			wantSettle:  jobstest.Termed,
			wantStatus:  jobs.StatusDead,
			wantErrText: "transient",
			wantRuns:    1,
			wantDead:    true,
			wantOutcome: metrics.OutcomeDead,
		},
		{
			name:        "permanent error dead-letters at once",
			handler:     func(context.Context, jobs.Job) error { return jobs.Permanent(errors.New("bad input")) },
			attempt:     1,
			wantSettle:  jobstest.Termed,
			wantStatus:  jobs.StatusDead,
			wantErrText: "bad input",
			wantRuns:    1,
			wantDead:    true,
			wantOutcome: metrics.OutcomeDead,
		},
		{
			name:        "panic fails the attempt",
			handler:     func(context.Context, jobs.Job) error { panic("nil map write") },
			attempt:     1,
			wantSettle:  jobstest.Retried,
			wantDelay:   time.Second,
			wantStatus:  jobs.StatusFailed,
			wantErrText: "panic: nil map write",
			wantRuns:    1,
			wantOutcome: metrics.OutcomeFailed,
		},
		{
			name:        "unknown type dead-letters without running",
			body:        func(t *testing.T) []byte { t.Helper(); return envelope(t, "J1", "nope", 3) },
			attempt:     1,
			wantSettle:  jobstest.Termed,
			wantStatus:  jobs.StatusDead,
			wantErrText: "no handler",
			wantDead:    true,
			wantOutcome: metrics.OutcomeDead,
		},
		{
			name:        "undecodable message dead-letters",
			body:        func(*testing.T) []byte { return []byte("garbage") },
			attempt:     1,
			wantSettle:  jobstest.Termed,
			wantErrText: "decode envelope",
			wantDead:    true,
			wantOutcome: metrics.OutcomeDead,
		},
		{
			name:        "redelivery of finished job is skipped",
			handler:     func(context.Context, jobs.Job) error { return nil },
			attempt:     2,
			existing:    &jobs.Record{Status: jobs.StatusSucceeded, Attempts: 1},
			wantSettle:  jobstest.Acked,
			wantStatus:  jobs.StatusSucceeded,
			wantOutcome: metrics.OutcomeDuplicate,
		},
		{
			name:        "delivery beyond max attempts dead-letters without running",
			handler:     func(context.Context, jobs.Job) error { return nil },
			attempt:     4,
			existing:    &jobs.Record{Status: jobs.StatusRunning, Attempts: 3},
			wantSettle:  jobstest.Termed,
			wantStatus:  jobs.StatusDead,
			wantErrText: "more than max_attempts",
			wantDead:    true,
			wantOutcome: metrics.OutcomeDead,
		},
		{
			name:        "crash before settling counts as an attempt even if the queue lags",
			handler:     func(_ context.Context, j jobs.Job) error { return fmt.Errorf("attempt %d", j.Attempt) },
			attempt:     1, // NumDelivered under-reported after a crash
			existing:    &jobs.Record{Status: jobs.StatusRunning, Attempts: 2},
			wantSettle:  jobstest.Termed, // attempt 3 of 3
			wantStatus:  jobs.StatusDead,
			wantErrText: "attempt 3",
			wantRuns:    1,
			wantDead:    true,
			wantAttempt: 3,
			wantOutcome: metrics.OutcomeDead,
		},
		{
			name:        "failing to mark running retries without running",
			handler:     func(context.Context, jobs.Job) error { return nil },
			attempt:     1,
			failPut:     jobs.StatusRunning,
			wantSettle:  jobstest.Retried,
			wantDelay:   time.Second,
			wantStatus:  jobs.StatusFailed,
			wantErrText: "mark running",
			wantOutcome: metrics.OutcomeFailed,
		},
		{
			name:        "failing to record success retries",
			handler:     func(context.Context, jobs.Job) error { return nil },
			attempt:     1,
			failPut:     jobs.StatusSucceeded,
			wantSettle:  jobstest.Retried,
			wantDelay:   time.Second,
			wantStatus:  jobs.StatusFailed,
			wantErrText: "record success",
			wantRuns:    1,
			wantOutcome: metrics.OutcomeFailed,
		},
		{
			name:        "failing to dead-letter keeps the job",
			handler:     func(context.Context, jobs.Job) error { return jobs.Permanent(errors.New("bad")) },
			attempt:     1,
			deadErr:     errTransient,
			wantSettle:  jobstest.Retried,
			wantDelay:   time.Second,
			wantStatus:  jobs.StatusRunning,
			wantRuns:    1,
			wantOutcome: metrics.OutcomeFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := newHarness(t, tt.handler, worker.Config{})
			hs.dead.Err = tt.deadErr
			body := envelope(t, "J1", "test", 3)
			if tt.body != nil {
				body = tt.body(t)
			}
			if tt.existing != nil {
				existing := *tt.existing
				existing.ID, existing.Type, existing.MaxAttempts = "J1", "test", 3
				if err := hs.store.Put(t.Context(), existing); err != nil {
					t.Fatal(err)
				}
			}
			if tt.failPut != "" {
				hs.store.FailPut = func(r jobs.Record) error {
					if r.Status == tt.failPut {
						return errTransient
					}
					return nil
				}
			}
			d := &jobstest.Delivery{Body: body, N: tt.attempt}

			hs.process(t, d)

			settlement, delay, count := d.Settled()
			if settlement != tt.wantSettle || delay != tt.wantDelay || count != 1 {
				t.Errorf("settled %q after %v, %d times; want %q after %v, once", settlement, delay, count, tt.wantSettle, tt.wantDelay)
			}
			if got := hs.handled.Load(); got != tt.wantRuns {
				t.Errorf("handler ran %d times, want %d", got, tt.wantRuns)
			}
			rec, err := hs.store.Get(t.Context(), "J1")
			switch {
			case tt.wantStatus == "" && err == nil:
				t.Errorf("unexpected record %+v", rec)
			case tt.wantStatus != "" && err != nil:
				t.Errorf("no record: %v", err)
			case tt.wantStatus != "":
				if rec.Status != tt.wantStatus || !strings.Contains(rec.LastError, tt.wantErrText) {
					t.Errorf("record = %+v, want status %q and error containing %q", rec, tt.wantStatus, tt.wantErrText)
				}
			}
			letters := hs.dead.Letters()
			if got := len(letters) == 1; got != tt.wantDead {
				t.Fatalf("dead letters = %+v, want dead-lettered=%v", letters, tt.wantDead)
			}
			if tt.wantDead {
				wantAttempt := tt.attempt
				if tt.wantAttempt != 0 {
					wantAttempt = tt.wantAttempt
				}
				if !strings.Contains(letters[0].LastError, tt.wantErrText) || string(letters[0].Data) != string(body) || letters[0].Attempts != wantAttempt {
					t.Errorf("dead letter = %+v", letters[0])
				}
			}
			if outcomes := processed(t, hs.reg, tt.wantOutcome); outcomes != 1 {
				t.Errorf("jobs_processed_total{outcome=%q} = %v, want 1", tt.wantOutcome, outcomes)
			}
		})
	}
}

// processed sums jobqueue_jobs_processed_total over job types for one outcome.
func processed(t *testing.T, reg *prometheus.Registry, outcome string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != "jobqueue_jobs_processed_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}

// raise sets hw to n if n is larger.
func raise(hw *atomic.Int64, n int64) {
	for {
		cur := hw.Load()
		if n <= cur || hw.CompareAndSwap(cur, n) {
			return
		}
	}
}

func TestProcessorHeartbeats(t *testing.T) {
	t.Parallel()

	synctest.Test(t, func(t *testing.T) {
		hs := newHarness(t, func(ctx context.Context, _ jobs.Job) error {
			time.Sleep(10 * time.Second)
			return ctx.Err()
		}, worker.Config{Heartbeat: 3 * time.Second})
		d := &jobstest.Delivery{Body: envelope(t, "J1", "test", 3), N: 1}

		hs.process(t, d)

		if got := d.Heartbeats(); got != 3 {
			t.Errorf("heartbeats = %d, want 3 (at 3s, 6s and 9s of a 10s job)", got)
		}
		if s, _, _ := d.Settled(); s != jobstest.Acked {
			t.Errorf("settled %q, want ack", s)
		}
	})
}

func TestProcessorShutdownGivesJobBack(t *testing.T) {
	t.Parallel()

	synctest.Test(t, func(t *testing.T) {
		hs := newHarness(t, func(ctx context.Context, _ jobs.Job) error {
			<-ctx.Done()
			return ctx.Err()
		}, worker.Config{})
		d := &jobstest.Delivery{Body: envelope(t, "J1", "test", 3), N: 1}
		if err := hs.pool.Submit(t.Context(), hs.proc.Task(d)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := hs.pool.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
		}
		if s, delay, _ := d.Settled(); s != jobstest.Retried || delay != 0 {
			t.Errorf("settled %q after %v, want an immediate retry", s, delay)
		}
		rec, err := hs.store.Get(t.Context(), "J1")
		if err != nil || !strings.Contains(rec.LastError, "aborted") {
			t.Errorf("record = %+v, %v", rec, err)
		}
	})
}

// source hands out a fixed list of deliveries, then blocks until ctx ends.
type source struct {
	mu       sync.Mutex
	pending  []*jobstest.Delivery
	failNext int
	maxSeen  int
}

func (s *source) Fetch(ctx context.Context, limit int) ([]jobs.Delivery, error) {
	s.mu.Lock()
	s.maxSeen = max(s.maxSeen, limit)
	if s.failNext > 0 {
		s.failNext--
		s.mu.Unlock()
		return nil, errors.New("connection lost")
	}
	if len(s.pending) > 0 {
		n := min(limit, len(s.pending))
		out := make([]jobs.Delivery, n)
		for i, d := range s.pending[:n] {
			out[i] = d
		}
		s.pending = s.pending[n:]
		s.mu.Unlock()
		return out, nil
	}
	s.mu.Unlock()
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestRun(t *testing.T) {
	t.Parallel()

	synctest.Test(t, func(t *testing.T) {
		var running, highWater atomic.Int64
		hs := newHarness(t, func(context.Context, jobs.Job) error {
			raise(&highWater, running.Add(1))
			defer running.Add(-1)
			time.Sleep(100 * time.Millisecond)
			return nil
		}, worker.Config{})

		const n = 40
		src := &source{failNext: 2}
		deliveries := make([]*jobstest.Delivery, n)
		for i := range deliveries {
			deliveries[i] = &jobstest.Delivery{Body: envelope(t, fmt.Sprintf("J%d", i), "test", 3), N: 1}
		}
		src.pending = deliveries

		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- worker.Run(ctx, slog.New(slog.DiscardHandler), src, hs.pool, hs.proc) }()

		// 2 failed fetches (1s back-off each), then 40 jobs of 100ms, 4 at a time.
		time.Sleep(2*time.Second + 10*100*time.Millisecond + time.Millisecond)
		synctest.Wait()
		stop()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		if err := hs.pool.Shutdown(t.Context()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}

		for i, d := range deliveries {
			if s, _, _ := d.Settled(); s != jobstest.Acked {
				t.Errorf("delivery %d settled %q, want ack", i, s)
			}
		}
		if hw := highWater.Load(); hw != int64(hs.pool.Size()) {
			t.Errorf("high-water mark %d, want the pool size %d", hw, hs.pool.Size())
		}
		if src.maxSeen != hs.pool.Size() {
			t.Errorf("largest fetch asked for %d deliveries, want batches of the pool size %d", src.maxSeen, hs.pool.Size())
		}
	})
}
