// Package worker turns deliveries from the queue into handler calls and decides what happens to
// each job afterwards: acknowledge, retry with backoff, or dead-letter. It depends on the ports in
// package jobs, not on NATS, so its rules are tested without a server.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"example.com/gopher-template/job-queue/internal/backoff"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/pool"
)

// Outcomes of a job attempt, as a Recorder receives them.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed" // will be retried
	OutcomeDead      = "dead"
	OutcomeAborted   = "aborted"   // interrupted by shutdown, given back to the queue
	OutcomeDuplicate = "duplicate" // redelivery of a job that had already finished
)

// Outcomes lists every outcome, for a Recorder that creates its series up front.
func Outcomes() []string {
	return []string{OutcomeSucceeded, OutcomeFailed, OutcomeDead, OutcomeAborted, OutcomeDuplicate}
}

// Recorder is told what happens to each attempt. The Prometheus metrics implement it (see
// package metrics); the processor knows nothing of them.
type Recorder interface {
	// Finished records the end of one attempt with its outcome.
	Finished(jobType, outcome string, took time.Duration)
	// Retried counts an attempt that will be retried.
	Retried(jobType string)
	// DeadLettered counts a job moved to the dead letters.
	DeadLettered(jobType string)
}

// defaultSettleTimeout bounds the bookkeeping (status update, dead-lettering) after a handler.
const defaultSettleTimeout = 10 * time.Second

// Config tunes a Processor.
type Config struct {
	// Backoff schedules retries.
	Backoff backoff.Policy
	// Heartbeat is how often a running job tells the queue it is still alive. It must be well
	// below the queue's ack wait. Zero disables heartbeats.
	Heartbeat time.Duration
	// SettleTimeout bounds the work done after the handler returns. Zero means 10s.
	SettleTimeout time.Duration
}

// Processor runs deliveries through the registered handlers.
type Processor struct {
	logger   *slog.Logger
	registry *jobs.Registry
	store    jobs.Store
	dead     jobs.DeadLetterer
	recorder Recorder
	cfg      Config
	now      func() time.Time
}

// NewProcessor returns a Processor that runs the handlers in registry, keeps job records in store,
// buries jobs with dead and tells rec about every attempt.
func NewProcessor(logger *slog.Logger, registry *jobs.Registry, store jobs.Store, dead jobs.DeadLetterer, rec Recorder, cfg Config) *Processor {
	if cfg.SettleTimeout <= 0 {
		cfg.SettleTimeout = defaultSettleTimeout
	}
	return &Processor{logger: logger, registry: registry, store: store, dead: dead, recorder: rec, cfg: cfg, now: time.Now}
}

// Task returns the pool task that processes d. The pool recovers a panicking handler and reports
// it to the task's Done, which fails the attempt like any other error.
func (p *Processor) Task(d jobs.Delivery) pool.Task {
	a := &attempt{p: p, d: d, number: d.Attempt(), logger: p.logger}
	return pool.Task{Run: a.run, Done: a.done}
}

// attempt is the state of one delivery, shared by the task's Run and Done.
type attempt struct {
	p       *Processor
	d       jobs.Delivery
	number  int
	logger  *slog.Logger
	started time.Time

	env jobs.Envelope // zero if the message could not be decoded
	rec jobs.Record
	// settled is set when run already acknowledged the delivery and done has nothing to do.
	settled bool
}

func (a *attempt) run(ctx context.Context) error {
	a.started = a.p.now()
	if err := a.load(ctx); err != nil {
		return err
	}
	env, rec := a.env, a.rec

	if rec.Status.Terminal() {
		// A redelivery after the job finished (e.g. the ack was lost): do not run it again.
		a.settled = true
		a.logger.InfoContext(ctx, "skipping job that already finished", slog.String("status", string(rec.Status)))
		a.p.recorder.Finished(env.Type, OutcomeDuplicate, a.p.now().Sub(a.started))
		if err := a.d.Ack(); err != nil {
			a.logger.WarnContext(ctx, "ack duplicate delivery", slog.Any("error", err))
		}
		return nil
	}
	if a.number > env.MaxAttempts {
		// Only reachable when earlier deliveries never reported back (worker crash, lost ack).
		return jobs.Permanent(fmt.Errorf("delivered %d times, more than max_attempts %d; last error: %q",
			a.number, env.MaxAttempts, rec.LastError))
	}

	handler, ok := a.p.registry.Lookup(env.Type)
	if !ok {
		return jobs.Permanent(fmt.Errorf("%w %q", jobs.ErrUnknownType, env.Type))
	}

	a.rec.Status = jobs.StatusRunning
	a.rec.Attempts = a.number
	a.rec.UpdatedAt = a.p.now().UTC()
	if err := a.p.store.Put(ctx, a.rec); err != nil {
		return fmt.Errorf("mark running: %w", err)
	}

	stop := a.heartbeat(ctx)
	defer stop()
	return handler.Handle(ctx, jobs.Job{
		ID:          env.ID,
		Type:        env.Type,
		Payload:     env.Payload,
		Attempt:     a.number,
		MaxAttempts: env.MaxAttempts,
	})
}

// load decodes the delivery and loads the job's record, rebuilding it if it is gone, and settles
// the attempt number.
func (a *attempt) load(ctx context.Context) error {
	env, err := jobs.DecodeEnvelope(a.d.Data())
	if err != nil {
		return jobs.Permanent(err)
	}
	a.env = env
	a.logger = a.p.logger.With(slog.String("job_id", env.ID), slog.String("job_type", env.Type))

	rec, err := a.p.store.Get(ctx, env.ID)
	switch {
	case errors.Is(err, jobs.ErrNotFound):
		// The record expired, or another producer published directly: rebuild it.
		rec = jobs.Record{ID: env.ID, Type: env.Type, MaxAttempts: env.MaxAttempts, CreatedAt: env.EnqueuedAt}
	case err != nil:
		return fmt.Errorf("load job record: %w", err)
	}
	a.rec = rec
	// The queue's delivery count can lag after a worker crash (NATS 2.9 reports the previous
	// count when the redelivery first went to the dead worker's pending pull request). The
	// record knows the last attempt that started, so it sets the floor.
	if (rec.Status == jobs.StatusRunning || rec.Status == jobs.StatusFailed) && rec.Attempts >= a.number {
		a.number = rec.Attempts + 1
	}
	a.logger = a.logger.With(slog.Int("attempt", a.number), slog.Int("max_attempts", env.MaxAttempts))
	return nil
}

// heartbeat calls InProgress periodically until the returned stop is called, so that a long job
// is not redelivered while it is still running. stop waits for the heartbeat goroutine to end.
func (a *attempt) heartbeat(ctx context.Context) (stop func()) {
	if a.p.cfg.Heartbeat <= 0 {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		ticker := time.NewTicker(a.p.cfg.Heartbeat)
		defer ticker.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-ticker.C:
				if err := a.d.InProgress(); err != nil {
					a.logger.WarnContext(ctx, "heartbeat failed", slog.Any("error", err))
				}
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
	}
}

// done settles the delivery according to the outcome of run.
func (a *attempt) done(ctx context.Context, err error) {
	if a.settled {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, a.p.cfg.SettleTimeout)
	defer cancel()

	switch {
	case err == nil:
		a.succeed(ctx)
	case errors.Is(err, pool.ErrAborted):
		a.giveBack(ctx, err)
	case jobs.IsPermanent(err) || a.number >= a.env.MaxAttempts:
		a.bury(ctx, err)
	default:
		a.retry(ctx, err)
	}
}

func (a *attempt) succeed(ctx context.Context) {
	a.rec.Status = jobs.StatusSucceeded
	a.rec.LastError = ""
	a.rec.UpdatedAt = a.p.now().UTC()
	if err := a.p.store.Put(ctx, a.rec); err != nil {
		// Without the record the job would look stuck in "running". Run it again (handlers are
		// at-least-once) rather than lose track of it.
		a.retry(ctx, fmt.Errorf("record success: %w", err))
		return
	}
	if err := a.d.Ack(); err != nil {
		// The status is recorded, so a redelivery will be skipped as a duplicate.
		a.logger.WarnContext(ctx, "ack failed", slog.Any("error", err))
	}
	a.finish(ctx, OutcomeSucceeded, nil)
}

func (a *attempt) retry(ctx context.Context, cause error) {
	delay := a.p.cfg.Backoff.Delay(a.number)
	a.rec.Status = jobs.StatusFailed
	a.rec.LastError = cause.Error()
	a.rec.UpdatedAt = a.p.now().UTC()
	if err := a.p.store.Put(ctx, a.rec); err != nil {
		a.logger.WarnContext(ctx, "record failure", slog.Any("error", err))
	}
	if err := a.d.Retry(delay); err != nil {
		// The queue redelivers after its ack wait anyway.
		a.logger.WarnContext(ctx, "nak failed", slog.Any("error", err))
	}
	a.p.recorder.Retried(a.jobType())
	a.finish(ctx, OutcomeFailed, cause, slog.Duration("retry_in", delay))
}

// giveBack returns a job interrupted by shutdown to the queue for another worker.
func (a *attempt) giveBack(ctx context.Context, cause error) {
	a.rec.Status = jobs.StatusFailed
	a.rec.LastError = cause.Error()
	a.rec.UpdatedAt = a.p.now().UTC()
	if err := a.p.store.Put(ctx, a.rec); err != nil {
		a.logger.WarnContext(ctx, "record abort", slog.Any("error", err))
	}
	if err := a.d.Retry(0); err != nil {
		a.logger.WarnContext(ctx, "nak failed", slog.Any("error", err))
	}
	a.finish(ctx, OutcomeAborted, cause)
}

// bury moves the job to the dead-letter stream, then terminates the delivery.
func (a *attempt) bury(ctx context.Context, cause error) {
	dl := jobs.DeadLetter{
		ID:        a.env.ID,
		Type:      a.env.Type,
		Data:      a.d.Data(),
		Attempts:  a.number,
		LastError: cause.Error(),
	}
	if err := a.p.dead.DeadLetter(ctx, dl); err != nil {
		// Keep the job rather than lose it; the next delivery will try again.
		a.logger.ErrorContext(ctx, "dead-letter failed; will retry", slog.Any("error", err))
		if err := a.d.Retry(a.p.cfg.Backoff.Delay(a.number)); err != nil {
			a.logger.WarnContext(ctx, "nak failed", slog.Any("error", err))
		}
		a.finish(ctx, OutcomeFailed, cause)
		return
	}
	if a.env.ID != "" {
		a.rec.Status = jobs.StatusDead
		a.rec.Attempts = a.number
		a.rec.LastError = cause.Error()
		a.rec.UpdatedAt = a.p.now().UTC()
		if err := a.p.store.Put(ctx, a.rec); err != nil {
			a.logger.WarnContext(ctx, "record dead", slog.Any("error", err))
		}
	}
	if err := a.d.Term(); err != nil {
		a.logger.WarnContext(ctx, "term failed", slog.Any("error", err))
	}
	a.p.recorder.DeadLettered(a.jobType())
	a.finish(ctx, OutcomeDead, cause)
}

func (a *attempt) finish(ctx context.Context, outcome string, cause error, attrs ...slog.Attr) {
	took := a.p.now().Sub(a.started)
	a.p.recorder.Finished(a.jobType(), outcome, took)
	attrs = append(attrs, slog.String("outcome", outcome), slog.Duration("took", took))
	level := slog.LevelDebug
	if cause != nil {
		attrs = append(attrs, slog.String("error", cause.Error()))
		level = slog.LevelWarn
		var pe *pool.PanicError
		if errors.As(cause, &pe) {
			attrs = append(attrs, slog.String("stack", string(pe.Stack)))
			level = slog.LevelError
		}
	}
	a.logger.LogAttrs(ctx, level, "job attempt finished", attrs...)
}

// jobType is the type as a metric label. Types without a handler share one label value, so that
// clients cannot grow the worker's series without bound.
func (a *attempt) jobType() string {
	if _, ok := a.p.registry.Lookup(a.env.Type); !ok {
		return "unknown"
	}
	return a.env.Type
}
