//go:build integration

package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/gopher-template/job-queue/internal/backoff"
	"example.com/gopher-template/job-queue/internal/handlers"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/pool"
	"example.com/gopher-template/job-queue/internal/queue"
	"example.com/gopher-template/job-queue/internal/queuetest"
	"example.com/gopher-template/job-queue/internal/worker"
)

// system is an API service and a running worker on an isolated set of streams.
type system struct {
	env     *queuetest.Env
	svc     *jobs.Service
	store   *queue.Store
	rec     *recorder
	mu      sync.Mutex
	runs    map[string]int // executions per job ID, across handlers
	stopped chan struct{}
}

func (s *system) count(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[id]++
}

func (s *system) runsOf(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id]
}

// counting wraps h to count its executions.
func (s *system) counting(h jobs.Handler) jobs.Handler {
	return jobs.HandlerFunc(func(ctx context.Context, j jobs.Job) error {
		s.count(j.ID)
		return h.Handle(ctx, j)
	})
}

// settings tune a system: the queue's ack wait, and a wrapper of the worker's source.
type settings struct {
	ackWait   time.Duration
	heartbeat time.Duration
	lease     time.Duration
	source    func(worker.Source) worker.Source
}

func startSystem(t *testing.T, tune ...func(*settings)) *system {
	t.Helper()
	cfg := settings{ackWait: 5 * time.Second, heartbeat: time.Second, lease: 10 * time.Second}
	for _, f := range tune {
		f(&cfg)
	}
	env := queuetest.New(t, os.Getenv)
	names := env.Config.Names
	logger := slog.New(slog.DiscardHandler)
	s := &system{env: env, runs: make(map[string]int), rec: newRecorder(), stopped: make(chan struct{})}

	store, err := queue.OpenStore(t.Context(), env.JS, names)
	if err != nil {
		t.Fatal(err)
	}
	s.store = store
	pub, err := queue.NewPublisher(t.Context(), env.JS, names)
	if err != nil {
		t.Fatal(err)
	}
	s.svc, err = jobs.NewService(store, pub, 5)
	if err != nil {
		t.Fatal(err)
	}

	registry := jobs.NewRegistry()
	for typ, h := range map[string]jobs.Handler{
		"echo":  handlers.Echo{Logger: logger},
		"flaky": handlers.Flaky{},
		"sleep": handlers.Sleep{Logger: logger},
	} {
		if err := registry.Register(typ, s.counting(h)); err != nil {
			t.Fatal(err)
		}
	}

	cons, err := queue.EnsureConsumer(t.Context(), env.JS, names, cfg.ackWait)
	if err != nil {
		t.Fatal(err)
	}
	qsrc, err := queue.NewSource(cons, 4)
	if err != nil {
		t.Fatal(err)
	}
	var src worker.Source = qsrc
	if cfg.source != nil {
		src = cfg.source(src)
	}
	p, err := pool.New(pool.Config{Size: 4, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	proc := worker.NewProcessor(logger, registry, store, queue.NewDeadLetterer(env.JS, names), s.rec, worker.Config{
		Backoff:   backoff.Policy{Base: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		Heartbeat: cfg.heartbeat,
		Lease:     cfg.lease,
		// As cmd/worker does: outcomes recorded in the background, acknowledged after.
		SettleWindow: 8,
	})

	go func() {
		defer close(s.stopped)
		// t.Context is cancelled just before the cleanups run, which stops the fetch loop.
		defer qsrc.Close()
		if err := worker.Run(t.Context(), logger, src, p, proc); err != nil {
			t.Errorf("worker.Run: %v", err)
		}
	}()
	// Registered after queuetest's cleanup, so it runs first: drain the worker, then delete.
	t.Cleanup(func() {
		<-s.stopped
		shutdownCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		if err := p.Shutdown(shutdownCtx); err != nil {
			t.Errorf("pool shutdown: %v", err)
		}
		proc.Wait(shutdownCtx)
	})
	return s
}

func (s *system) enqueue(t *testing.T, req jobs.Request) jobs.EnqueueResult {
	t.Helper()
	res, err := s.svc.Enqueue(t.Context(), req)
	if err != nil {
		t.Fatalf("Enqueue(%+v): %v", req, err)
	}
	return res
}

// waitStatus polls until the job reaches want, and returns its record.
func (s *system) waitStatus(t *testing.T, id string, want jobs.Status) jobs.Record {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rec, err := s.store.Get(t.Context(), id)
		if err == nil && rec.Status == want {
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: status %q (err %v), want %q", id, rec.Status, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIntegration_AllJobsSucceedOnce(t *testing.T) {
	t.Parallel()
	s := startSystem(t)
	const n = 100
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.enqueue(t, jobs.Request{Type: "echo", Payload: json.RawMessage(`{"i":1}`)}).Record.ID
	}
	for _, id := range ids {
		rec := s.waitStatus(t, id, jobs.StatusSucceeded)
		if rec.Attempts != 1 {
			t.Errorf("job %s took %d attempts, want 1", id, rec.Attempts)
		}
	}
	time.Sleep(200 * time.Millisecond) // give a stray redelivery the chance to show
	for _, id := range ids {
		if got := s.runsOf(id); got != 1 {
			t.Errorf("job %s ran %d times, want 1", id, got)
		}
	}
	info, err := s.env.JS.Stream(t.Context(), s.env.Config.Names.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if msgs := info.CachedInfo().State.Msgs; msgs != 0 {
		t.Errorf("%d messages left in the work queue", msgs)
	}
}

func TestIntegration_FlakyJobIsDeadLettered(t *testing.T) {
	t.Parallel()
	s := startSystem(t)
	id := s.enqueue(t, jobs.Request{Type: "flaky", Payload: json.RawMessage(`{"fail_times":10}`), MaxAttempts: 3}).Record.ID

	rec := s.waitStatus(t, id, jobs.StatusDead)
	if rec.Attempts != 3 || !strings.Contains(rec.LastError, "planned failure on attempt 3") {
		t.Errorf("record = %+v, want 3 attempts and the last error", rec)
	}
	if got := s.runsOf(id); got != 3 {
		t.Errorf("ran %d times, want 3", got)
	}

	names := s.env.Config.Names
	dead, err := s.env.JS.Stream(t.Context(), names.DeadStream)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := dead.GetLastMsgForSubject(t.Context(), names.DeadSubject("flaky"))
	if err != nil {
		t.Fatalf("dead letter not found: %v", err)
	}
	if msg.Header.Get(queue.HeaderJobID) != id || msg.Header.Get(queue.HeaderAttempts) != "3" ||
		!strings.Contains(msg.Header.Get(queue.HeaderLastError), "planned failure on attempt 3") {
		t.Errorf("dead letter headers = %v", msg.Header)
	}
	env, err := jobs.DecodeEnvelope(msg.Data)
	if err != nil || env.ID != id || string(env.Payload) != `{"fail_times":10}` {
		t.Errorf("dead letter body = %s (%v), want the original job", msg.Data, err)
	}
	if _, retried, deadLettered := s.rec.counts("", "flaky"); retried != 2 || deadLettered != 1 {
		t.Errorf("recorded %d retries and %d dead letters, want 2 and 1", retried, deadLettered)
	}
}

func TestIntegration_IdempotencyKeyRunsOnce(t *testing.T) {
	t.Parallel()
	s := startSystem(t)
	req := jobs.Request{Type: "echo", IdempotencyKey: "invoice-2024-001"}
	first := s.enqueue(t, req)
	second := s.enqueue(t, req)
	if first.Duplicate || !second.Duplicate || first.Record.ID != second.Record.ID {
		t.Fatalf("enqueues = %+v, %+v; want the second to be a duplicate of the first", first, second)
	}
	s.waitStatus(t, first.Record.ID, jobs.StatusSucceeded)

	third := s.enqueue(t, req) // after completion: reported, not rerun
	if third.Record.Status != jobs.StatusSucceeded {
		t.Errorf("third enqueue status = %q, want succeeded", third.Record.Status)
	}
	time.Sleep(300 * time.Millisecond)
	if got := s.runsOf(first.Record.ID); got != 1 {
		t.Errorf("ran %d times, want 1", got)
	}
}

func TestIntegration_RetryThenSuccess(t *testing.T) {
	t.Parallel()
	s := startSystem(t)
	id := s.enqueue(t, jobs.Request{Type: "flaky", Payload: json.RawMessage(`{"fail_times":2}`), MaxAttempts: 5}).Record.ID

	rec := s.waitStatus(t, id, jobs.StatusSucceeded)
	if rec.Attempts != 3 || rec.LastError != "" {
		t.Errorf("record = %+v, want success on attempt 3 with no error", rec)
	}
	if got := s.runsOf(id); got != 3 {
		t.Errorf("ran %d times, want 3", got)
	}
	if _, retried, _ := s.rec.counts("", "flaky"); retried != 2 {
		t.Errorf("recorded %d retries, want 2", retried)
	}
}

// lostHeartbeats is a source whose deliveries' InProgress never reaches the server: what a
// server restart does to the heartbeats sent while it is down (and to those it had not yet
// written to disk).
type lostHeartbeats struct{ worker.Source }

func (s lostHeartbeats) Next(ctx context.Context) (jobs.Delivery, error) {
	d, err := s.Source.Next(ctx)
	if err != nil {
		return nil, err
	}
	return noProgress{d}, nil
}

type noProgress struct{ jobs.Delivery }

func (noProgress) InProgress() error { return nil }

// TestIntegration_RedeliveryWhileRunningRunsOnce: the queue redelivers a job while its first
// attempt still runs (its ack wait ran out: the heartbeats were lost). The running attempt holds
// the claim, so the redeliveries are put back and the job runs once.
func TestIntegration_RedeliveryWhileRunningRunsOnce(t *testing.T) {
	t.Parallel()
	s := startSystem(t, func(c *settings) {
		c.ackWait, c.heartbeat, c.lease = time.Second, 300*time.Millisecond, 5*time.Second
		c.source = func(src worker.Source) worker.Source { return lostHeartbeats{src} }
	})
	id := s.enqueue(t, jobs.Request{Type: "sleep", Payload: json.RawMessage(`{"ms":3500}`)}).Record.ID

	rec := s.waitStatus(t, id, jobs.StatusSucceeded)
	time.Sleep(1500 * time.Millisecond) // a redelivery after the success is acked as a duplicate
	if got := s.runsOf(id); got != 1 || rec.Attempts != 1 {
		t.Errorf("ran %d times, %d attempts recorded; want once", got, rec.Attempts)
	}
	if held, _, _ := s.rec.counts(worker.OutcomeHeld, "sleep"); held == 0 {
		t.Error("no redelivery was put back: the test did not provoke one")
	}
	if n := s.rec.duplicateExecutions(); n != 0 {
		t.Errorf("duplicate executions = %d, want 0", n)
	}
}

// TestIntegration_IdempotencyKeyConflict: a key reused for another payload is refused while the
// first job waits in the queue and after it ran.
func TestIntegration_IdempotencyKeyConflict(t *testing.T) {
	t.Parallel()
	s := startSystem(t)
	first := jobs.Request{Type: "sleep", Payload: json.RawMessage(`{"ms":300}`), IdempotencyKey: "report-7"}
	other := jobs.Request{Type: "sleep", Payload: json.RawMessage(`{"ms":301}`), IdempotencyKey: "report-7"}
	id := s.enqueue(t, first).Record.ID
	for _, wait := range []jobs.Status{"", jobs.StatusSucceeded} {
		if wait != "" {
			s.waitStatus(t, id, wait)
		}
		if _, err := s.svc.Enqueue(t.Context(), other); !errors.Is(err, jobs.ErrConflict) {
			t.Errorf("reused key (job %q) = %v, want ErrConflict", wait, err)
		}
		if res, err := s.svc.Enqueue(t.Context(), first); err != nil || !res.Duplicate || res.Record.ID != id {
			t.Errorf("repeat (job %q) = %+v, %v; want a duplicate of %s", wait, res, err, id)
		}
	}
	if got := s.runsOf(id); got != 1 {
		t.Errorf("ran %d times, want 1", got)
	}
}
