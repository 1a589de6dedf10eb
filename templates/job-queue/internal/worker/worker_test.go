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

	"example.com/gopher-template/job-queue/internal/backoff"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/jobs/jobstest"
	"example.com/gopher-template/job-queue/internal/pool"
	"example.com/gopher-template/job-queue/internal/worker"
)

var errTransient = errors.New("transient")

// recorder is a worker.Recorder that counts what it is told.
type recorder struct {
	mu           sync.Mutex
	finished     map[string]int // by outcome
	retried      map[string]int // by job type
	deadLettered map[string]int // by job type
	duplicates   int
}

func newRecorder() *recorder {
	return &recorder{finished: map[string]int{}, retried: map[string]int{}, deadLettered: map[string]int{}}
}

func (r *recorder) Finished(_, outcome string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished[outcome]++
}

func (r *recorder) Retried(jobType string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retried[jobType]++
}

func (r *recorder) DeadLettered(jobType string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deadLettered[jobType]++
}

func (r *recorder) DuplicateExecution(string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.duplicates++
}

func (r *recorder) duplicateExecutions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.duplicates
}

// counts returns the attempts finished with outcome, and the retries and dead letters of jobType.
func (r *recorder) counts(outcome, jobType string) (finished, retried, deadLettered int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished[outcome], r.retried[jobType], r.deadLettered[jobType]
}

type harness struct {
	store   *jobstest.Store
	dead    *jobstest.DeadLetterer
	rec     *recorder
	pool    *pool.Pool
	proc    *worker.Processor
	handled atomic.Int64
}

// newHarness builds a processor whose "test" handler is h. Backoff draws the maximum delay.
func newHarness(t *testing.T, h jobs.HandlerFunc, cfg worker.Config) *harness {
	t.Helper()
	hs := &harness{store: jobstest.NewStore(), dead: &jobstest.DeadLetterer{}, rec: newRecorder()}
	p, err := pool.New(pool.Config{Size: 4, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	hs.pool = p
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
	if cfg.SettleTimeout == 0 {
		cfg.SettleTimeout = 300 * time.Millisecond // a store that stays down gives up quickly
	}
	hs.proc = worker.NewProcessor(slog.New(slog.DiscardHandler), registry, hs.store, hs.dead, hs.rec, cfg)
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
	hs.proc.Wait(t.Context())
}

func envelope(t *testing.T, id, typ string, maxAttempts int) []byte {
	t.Helper()
	b, err := json.Marshal(jobs.Envelope{ID: id, Type: typ, Payload: json.RawMessage(`{}`), MaxAttempts: maxAttempts})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// processorCase is one delivery through the processor, and what should come of it.
type processorCase struct {
	name        string
	handler     jobs.HandlerFunc
	body        func(t *testing.T) []byte
	attempt     int
	existing    *jobs.Record // record already stored for the job (ID, type and max attempts are filled in)
	failPut     jobs.Status  // Put fails for records with this status
	deadErr     error
	wantSettle  jobstest.Settlement
	wantDelay   time.Duration
	heldDelay   bool        // the delay is what is left of a one-minute lease, not wantDelay
	wantStatus  jobs.Status // "" means no record expected
	wantNumber  int         // attempts in the record; 0 means not checked
	wantErrText string      // in last_error / dead letter
	wantRuns    int64
	wantDead    bool
	wantAttempt int // attempts in the dead letter; 0 means the delivery's
	wantOutcome string
}

// processorCases covers every way an attempt can end.
var processorCases = []processorCase{
	{
		name:        "success acks",
		handler:     func(context.Context, jobs.Job) error { return nil },
		attempt:     1,
		wantSettle:  jobstest.Acked,
		wantStatus:  jobs.StatusSucceeded,
		wantRuns:    1,
		wantOutcome: worker.OutcomeSucceeded,
	},
	{
		name:        "failure retries with backoff",
		handler:     func(context.Context, jobs.Job) error { return errTransient },
		attempt:     2,
		existing:    &jobs.Record{Status: jobs.StatusFailed, Attempts: 1},
		wantSettle:  jobstest.Retried,
		wantDelay:   2 * time.Second,
		wantStatus:  jobs.StatusFailed,
		wantErrText: "transient",
		wantRuns:    1,
		wantOutcome: worker.OutcomeFailed,
	},
	{
		name:        "last attempt dead-letters",
		handler:     func(context.Context, jobs.Job) error { return errTransient },
		attempt:     3,
		existing:    &jobs.Record{Status: jobs.StatusFailed, Attempts: 2},
		wantSettle:  jobstest.Termed,
		wantStatus:  jobs.StatusDead,
		wantErrText: "transient",
		wantRuns:    1,
		wantDead:    true,
		wantOutcome: worker.OutcomeDead,
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
		wantOutcome: worker.OutcomeDead,
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
		wantOutcome: worker.OutcomeFailed,
	},
	{
		name:        "unknown type dead-letters without running",
		body:        func(t *testing.T) []byte { t.Helper(); return envelope(t, "J1", "nope", 3) },
		attempt:     1,
		wantSettle:  jobstest.Termed,
		wantStatus:  jobs.StatusDead,
		wantErrText: "no handler",
		wantDead:    true,
		wantOutcome: worker.OutcomeDead,
	},
	{
		name:        "undecodable message dead-letters",
		body:        func(*testing.T) []byte { return []byte("garbage") },
		attempt:     1,
		wantSettle:  jobstest.Termed,
		wantErrText: "decode envelope",
		wantDead:    true,
		wantOutcome: worker.OutcomeDead,
	},
	{
		name:        "redelivery of finished job is skipped",
		handler:     func(context.Context, jobs.Job) error { return nil },
		attempt:     2,
		existing:    &jobs.Record{Status: jobs.StatusSucceeded, Attempts: 1},
		wantSettle:  jobstest.Acked,
		wantStatus:  jobs.StatusSucceeded,
		wantOutcome: worker.OutcomeDuplicate,
	},
	{
		name:        "redelivery of a held job is put back until the lease runs out",
		handler:     func(context.Context, jobs.Job) error { return nil },
		attempt:     2,
		existing:    &jobs.Record{Status: jobs.StatusRunning, Attempts: 1, Holder: "alive", Lease: time.Minute},
		wantSettle:  jobstest.Retried,
		heldDelay:   true,
		wantStatus:  jobs.StatusRunning,
		wantNumber:  1,
		wantOutcome: worker.OutcomeHeld,
	},
	{
		name:        "job whose holder's lease ran out is taken over",
		handler:     func(context.Context, jobs.Job) error { return nil },
		attempt:     2,
		existing:    &jobs.Record{Status: jobs.StatusRunning, Attempts: 1, Holder: "gone", Lease: time.Nanosecond},
		wantSettle:  jobstest.Acked,
		wantStatus:  jobs.StatusSucceeded,
		wantNumber:  2,
		wantRuns:    1,
		wantOutcome: worker.OutcomeSucceeded,
	},
	{
		name:        "failed job is claimed for its next attempt",
		handler:     func(context.Context, jobs.Job) error { return nil },
		attempt:     7, // redeliveries of a held job count in the queue, not in the record
		existing:    &jobs.Record{Status: jobs.StatusFailed, Attempts: 1, Holder: "earlier", LastError: "boom"},
		wantSettle:  jobstest.Acked,
		wantStatus:  jobs.StatusSucceeded,
		wantNumber:  2,
		wantRuns:    1,
		wantOutcome: worker.OutcomeSucceeded,
	},
	{
		name:        "abandoned last attempt dead-letters without running",
		handler:     func(context.Context, jobs.Job) error { return nil },
		attempt:     4,
		existing:    &jobs.Record{Status: jobs.StatusRunning, Attempts: 3, Holder: "gone", Lease: time.Nanosecond},
		wantSettle:  jobstest.Termed,
		wantStatus:  jobs.StatusDead,
		wantErrText: "abandoned",
		wantDead:    true,
		wantAttempt: 3,
		wantOutcome: worker.OutcomeDead,
	},
	{
		name:        "a crashed attempt counts even if the queue's count lags",
		handler:     func(_ context.Context, j jobs.Job) error { return fmt.Errorf("attempt %d", j.Attempt) },
		attempt:     1, // NumDelivered under-reported after a crash
		existing:    &jobs.Record{Status: jobs.StatusRunning, Attempts: 2, Holder: "gone", Lease: time.Nanosecond},
		wantSettle:  jobstest.Termed, // attempt 3 of 3
		wantStatus:  jobs.StatusDead,
		wantErrText: "attempt 3",
		wantRuns:    1,
		wantDead:    true,
		wantAttempt: 3,
		wantOutcome: worker.OutcomeDead,
	},
	{
		name:        "failing to claim retries without running or writing",
		handler:     func(context.Context, jobs.Job) error { return nil },
		attempt:     1,
		failPut:     jobs.StatusRunning,
		wantSettle:  jobstest.Retried,
		wantDelay:   time.Second,
		wantOutcome: worker.OutcomeFailed,
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
		wantOutcome: worker.OutcomeFailed,
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
		wantOutcome: worker.OutcomeFailed,
	},
}

func TestProcessor(t *testing.T) {
	t.Parallel()
	// Every case settles alike in the slot and in the background.
	for _, window := range []int{0, 2} {
		for _, c := range processorCases {
			t.Run(fmt.Sprintf("%s/settle window %d", c.name, window), func(t *testing.T) {
				t.Parallel()
				hs, d := c.setUp(t, worker.Config{SettleWindow: window})
				hs.process(t, d)
				c.check(t, hs, d)
			})
		}
	}
}

// TestProcessorSettlesInTheBackground: with a settle window, the slot of a finished attempt is
// free for the next job while its outcome is still being recorded, and the delivery is
// acknowledged only once the record says succeeded.
func TestProcessorSettlesInTheBackground(t *testing.T) {
	t.Parallel()

	hs := newHarness(t, func(context.Context, jobs.Job) error { return nil }, worker.Config{})
	p, err := pool.New(pool.Config{Size: 1, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	hs.pool = p
	release := make(chan struct{})
	// The store is slow to record the first job's success.
	slow := &slowStore{Store: hs.store, id: "J1", status: jobs.StatusSucceeded, release: release}
	registry := jobs.NewRegistry()
	if err := registry.Register("test", jobs.HandlerFunc(func(context.Context, jobs.Job) error { return nil })); err != nil {
		t.Fatal(err)
	}
	hs.proc = worker.NewProcessor(slog.New(slog.DiscardHandler), registry, slow, hs.dead, hs.rec,
		worker.Config{SettleWindow: 4, SettleTimeout: time.Minute})
	first := &jobstest.Delivery{Body: envelope(t, "J1", "test", 3), N: 1}
	second := &jobstest.Delivery{Body: envelope(t, "J2", "test", 3), N: 1}
	for _, d := range []*jobstest.Delivery{first, second} {
		if err := hs.pool.Submit(t.Context(), hs.proc.Task(d)); err != nil {
			t.Fatal(err)
		}
	}
	// The one slot ran the second job although the first one's record is still being written.
	deadline := time.Now().Add(10 * time.Second)
	for s, _, _ := second.Settled(); s != jobstest.Acked; s, _, _ = second.Settled() {
		if time.Now().After(deadline) {
			t.Fatalf("second job settled %q, want ack while the first one settles", s)
		}
		time.Sleep(time.Millisecond)
	}
	if s, _, _ := first.Settled(); s != "" {
		t.Fatalf("first job settled %q before its record was written", s)
	}
	close(release)
	if err := hs.pool.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	hs.proc.Wait(t.Context())
	if s, _, _ := first.Settled(); s != jobstest.Acked {
		t.Errorf("first job settled %q after Wait, want ack", s)
	}
	if rec, err := hs.store.Get(t.Context(), "J1"); err != nil || rec.Status != jobs.StatusSucceeded {
		t.Errorf("first record = %+v, %v", rec, err)
	}
}

// slowStore holds back the update of record id to status until release is closed.
type slowStore struct {
	*jobstest.Store
	id      string
	status  jobs.Status
	release chan struct{}
}

func (s *slowStore) Update(ctx context.Context, r jobs.Record) (jobs.Record, error) {
	if r.ID == s.id && r.Status == s.status {
		select {
		case <-s.release:
		case <-ctx.Done():
			return jobs.Record{}, ctx.Err()
		}
	}
	return s.Store.Update(ctx, r)
}

// setUp builds the harness and the delivery of c.
func (c processorCase) setUp(t *testing.T, cfg worker.Config) (*harness, *jobstest.Delivery) {
	t.Helper()
	hs := newHarness(t, c.handler, cfg)
	hs.dead.Err = c.deadErr
	body := envelope(t, "J1", "test", 3)
	if c.body != nil {
		body = c.body(t)
	}
	if c.existing != nil {
		existing := *c.existing
		existing.ID, existing.Type, existing.MaxAttempts = "J1", "test", 3
		hs.store.Set(existing)
	}
	if c.failPut != "" {
		hs.store.FailWrite = func(r jobs.Record) error {
			if r.Status == c.failPut {
				return errTransient
			}
			return nil
		}
	}
	return hs, &jobstest.Delivery{Body: body, N: c.attempt}
}

// check compares what the processor did with d against c.
func (c processorCase) check(t *testing.T, hs *harness, d *jobstest.Delivery) {
	t.Helper()
	settlement, delay, count := d.Settled()
	delayOK := delay == c.wantDelay
	if c.heldDelay {
		delayOK = delay > 50*time.Second && delay <= time.Minute
	}
	if settlement != c.wantSettle || !delayOK || count != 1 {
		t.Errorf("settled %q after %v, %d times; want %q after %v (held: %v), once", settlement, delay, count, c.wantSettle, c.wantDelay, c.heldDelay)
	}
	if got := hs.handled.Load(); got != c.wantRuns {
		t.Errorf("handler ran %d times, want %d", got, c.wantRuns)
	}
	rec, err := hs.store.Get(t.Context(), "J1")
	switch {
	case c.wantStatus == "" && err == nil:
		t.Errorf("unexpected record %+v", rec)
	case c.wantStatus != "" && err != nil:
		t.Errorf("no record: %v", err)
	case c.wantStatus != "":
		if rec.Status != c.wantStatus || !strings.Contains(rec.LastError, c.wantErrText) {
			t.Errorf("record = %+v, want status %q and error containing %q", rec, c.wantStatus, c.wantErrText)
		}
		if c.wantNumber != 0 && rec.Attempts != c.wantNumber {
			t.Errorf("record attempts = %d, want %d", rec.Attempts, c.wantNumber)
		}
	}
	letters := hs.dead.Letters()
	if got := len(letters) == 1; got != c.wantDead {
		t.Fatalf("dead letters = %+v, want dead-lettered=%v", letters, c.wantDead)
	}
	if c.wantDead {
		wantAttempt := c.attempt
		if c.wantAttempt != 0 {
			wantAttempt = c.wantAttempt
		}
		if !strings.Contains(letters[0].LastError, c.wantErrText) || string(letters[0].Data) != string(d.Body) || letters[0].Attempts != wantAttempt {
			t.Errorf("dead letter = %+v", letters[0])
		}
	}
	finished, _, deadLettered := hs.rec.counts(c.wantOutcome, "test")
	if finished != 1 {
		t.Errorf("attempts finished with outcome %q = %d, want 1", c.wantOutcome, finished)
	}
	if n := hs.rec.duplicateExecutions(); n != 0 {
		t.Errorf("duplicate executions = %d, want 0", n)
	}
	if wantDeadLettered := c.wantOutcome == worker.OutcomeDead && c.body == nil; (deadLettered == 1) != wantDeadLettered {
		t.Errorf("dead letters recorded for type test = %d, want dead-lettered=%v", deadLettered, wantDeadLettered)
	}
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
}

func (s *source) Next(ctx context.Context) (jobs.Delivery, error) {
	s.mu.Lock()
	if s.failNext > 0 {
		s.failNext--
		s.mu.Unlock()
		return nil, errors.New("connection lost")
	}
	if len(s.pending) > 0 {
		d := s.pending[0]
		s.pending = s.pending[1:]
		s.mu.Unlock()
		return d, nil
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

		// 2 failures (1s back-off each), then 40 jobs of 100ms, 4 at a time.
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
	})
}

// TestProcessorRedeliveryWhileRunningIsHeld is the duplicate run of a server restart: the queue
// delivers a job again while its first attempt still runs (the restart lost the heartbeats).
// The redelivery must leave the job to the running attempt, not run it a second time.
func TestProcessorRedeliveryWhileRunningIsHeld(t *testing.T) {
	t.Parallel()

	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hs := newHarness(t, func(context.Context, jobs.Job) error {
		once.Do(func() { close(started) })
		<-release
		return nil
	}, worker.Config{})
	first := &jobstest.Delivery{Body: envelope(t, "J1", "test", 3), N: 1}
	again := &jobstest.Delivery{Body: envelope(t, "J1", "test", 3), N: 2}

	if err := hs.pool.Submit(t.Context(), hs.proc.Task(first)); err != nil {
		t.Fatal(err)
	}
	<-started
	if err := hs.pool.Submit(t.Context(), hs.proc.Task(again)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s, _, _ := again.Settled(); s == jobstest.Unsettled && time.Now().Before(deadline); s, _, _ = again.Settled() {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := hs.pool.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}

	if got := hs.handled.Load(); got != 1 {
		t.Errorf("the job ran %d times, want once", got)
	}
	if s, _, _ := first.Settled(); s != jobstest.Acked {
		t.Errorf("first delivery settled %q, want ack", s)
	}
	if s, delay, _ := again.Settled(); s != jobstest.Retried || delay <= 0 {
		t.Errorf("redelivery settled %q after %v, want put back for later", s, delay)
	}
	rec, err := hs.store.Get(t.Context(), "J1")
	if err != nil || rec.Status != jobs.StatusSucceeded || rec.Attempts != 1 {
		t.Errorf("record = %+v, %v; want succeeded on attempt 1", rec, err)
	}
}

// TestProcessorRecordsOnlyMoveForward: an attempt that lost its claim while it ran (another
// attempt took the job over and finished it) must not write over the record, whatever its own
// outcome, and counts a duplicate execution.
func TestProcessorRecordsOnlyMoveForward(t *testing.T) {
	t.Parallel()

	for _, outcome := range []error{nil, errTransient, jobs.Permanent(errTransient)} {
		t.Run(fmt.Sprint(outcome), func(t *testing.T) {
			t.Parallel()
			var hs *harness
			hs = newHarness(t, func(context.Context, jobs.Job) error {
				// Meanwhile another attempt claimed the job and finished it.
				hs.store.Set(jobs.Record{ID: "J1", Type: "test", Status: jobs.StatusSucceeded, Attempts: 2, MaxAttempts: 3, Holder: "other"})
				return outcome
			}, worker.Config{})
			d := &jobstest.Delivery{Body: envelope(t, "J1", "test", 3), N: 1}
			hs.process(t, d)

			rec, err := hs.store.Get(t.Context(), "J1")
			if err != nil || rec.Status != jobs.StatusSucceeded || rec.Attempts != 2 || rec.Holder != "other" {
				t.Errorf("record = %+v, %v; want the other attempt's success untouched", rec, err)
			}
			if s, _, n := d.Settled(); n != 0 {
				t.Errorf("delivery settled %q; want it left to the attempt that holds the job", s)
			}
			if len(hs.dead.Letters()) != 0 {
				t.Error("a job another attempt finished was dead-lettered")
			}
			if n := hs.rec.duplicateExecutions(); n != 1 {
				t.Errorf("duplicate executions = %d, want 1", n)
			}
		})
	}
}

// TestProcessorHeartbeatRenewsClaim: a long job keeps its claim by renewing it, so that a
// redelivery after the lease would have run out still finds it held; and a job whose claim was
// taken over anyway is cancelled at the next heartbeat.
func TestProcessorHeartbeatRenewsClaim(t *testing.T) {
	t.Parallel()

	synctest.Test(t, func(t *testing.T) {
		hs := newHarness(t, func(ctx context.Context, _ jobs.Job) error {
			select {
			case <-time.After(10 * time.Second):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, worker.Config{Heartbeat: time.Second, Lease: 3 * time.Second})
		first := &jobstest.Delivery{Body: envelope(t, "J1", "test", 3), N: 1}
		if err := hs.pool.Submit(t.Context(), hs.proc.Task(first)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second) // beyond the first write's lease
		again := &jobstest.Delivery{Body: envelope(t, "J1", "test", 3), N: 2}
		if err := hs.pool.Submit(t.Context(), hs.proc.Task(again)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if s, _, _ := again.Settled(); s != jobstest.Retried {
			t.Errorf("redelivery at 5s settled %q, want put back: the claim was renewed", s)
		}

		// At 6s another attempt takes the job over (as if this one had been cut off).
		time.Sleep(time.Second)
		hs.store.Set(jobs.Record{ID: "J1", Type: "test", Status: jobs.StatusRunning, Attempts: 2, MaxAttempts: 3, Holder: "other", Lease: time.Minute})
		if err := hs.pool.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := hs.rec.duplicateExecutions(); n != 1 {
			t.Errorf("duplicate executions = %d, want 1", n)
		}
		rec, err := hs.store.Get(t.Context(), "J1")
		if err != nil || rec.Holder != "other" {
			t.Errorf("record = %+v, %v; want the other attempt's claim untouched", rec, err)
		}
	})
}
