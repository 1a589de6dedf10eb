// Package worker turns deliveries from the queue into handler calls and decides what happens to
// each job afterwards: acknowledge, retry with backoff, or dead-letter. It depends on the ports in
// package jobs, not on NATS, so its rules are tested without a server.
package worker

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"example.com/gopher-template/job-queue/internal/backoff"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/pool"
)

// Outcomes of a delivery, as a Recorder receives them.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed" // will be retried
	OutcomeDead      = "dead"
	OutcomeAborted   = "aborted"   // interrupted by shutdown, given back to the queue
	OutcomeDuplicate = "duplicate" // redelivery of a job that had already finished: acked, not run
	OutcomeHeld      = "held"      // redelivery of a job a running attempt holds: put back, not run
)

// Outcomes lists every outcome, for a Recorder that creates its series up front.
func Outcomes() []string {
	return []string{OutcomeSucceeded, OutcomeFailed, OutcomeDead, OutcomeAborted, OutcomeDuplicate, OutcomeHeld}
}

// Recorder is told what happens to each delivery. The Prometheus metrics implement it (see
// package metrics); the processor knows nothing of them.
type Recorder interface {
	// Finished records the end of one delivery with its outcome.
	Finished(jobType, outcome string, took time.Duration)
	// Retried counts an attempt that will be retried.
	Retried(jobType string)
	// DeadLettered counts a job moved to the dead letters.
	DeadLettered(jobType string)
	// DuplicateExecution counts an attempt that ran although another attempt of the same job
	// ran too. The claim exists to keep it at zero; it can only happen if an attempt stays
	// away from the store for longer than its lease.
	DuplicateExecution(jobType string)
}

// Defaults of Config.
const (
	defaultSettleTimeout = 10 * time.Second
	defaultLease         = time.Minute
)

// Timing of the claim.
const (
	// maxWrites bounds the compare-and-set rounds of one claim or record write.
	maxWrites = 5
	// minHeldDelay is the least a held redelivery is put back for.
	minHeldDelay = 100 * time.Millisecond
	// writeRetryDelay is the pause between two tries of a settling write that failed for want
	// of the store.
	writeRetryDelay = 250 * time.Millisecond
	// storeTimeout bounds one call to the store. A request sent while the server is down is
	// lost, and its reply never comes: better to ask again once it is back.
	storeTimeout = 2 * time.Second
)

// errLostClaim means another attempt took the job over, or finished it, while this one ran.
var errLostClaim = errors.New("another attempt holds the job")

// Config tunes a Processor.
type Config struct {
	// Backoff schedules retries.
	Backoff backoff.Policy
	// Heartbeat is how often a running job tells the queue it is still alive and renews its
	// claim. It must be well below the queue's ack wait and the lease. Zero disables heartbeats.
	Heartbeat time.Duration
	// Lease is how long a claim outlives the last write of its attempt: a redelivery within it
	// is put back, one after it takes the job over. It must cover the ack wait, plus the
	// outages of the queue the claim should survive. Zero means a minute.
	Lease time.Duration
	// SettleTimeout bounds the work done after the handler returns. Zero means 10s.
	SettleTimeout time.Duration
	// SettleWindow, if positive, lets up to that many finished attempts record their outcome
	// and settle their delivery in the background, so that a pool slot is free for the next job
	// as soon as the handler returns instead of after another round trip to the store. Once the
	// window is full, a finished attempt keeps its slot until there is room. Zero settles in the
	// slot. Either way the outcome is recorded before the delivery is acknowledged; Wait waits
	// for the background settles.
	SettleWindow int
}

// Processor runs deliveries through the registered handlers. Before it runs a job it claims it
// in the job's record, with a compare-and-set, so that a job runs once at a time even when the
// queue delivers it twice: a redelivery that finds the claim alive leaves the job alone.
type Processor struct {
	logger   *slog.Logger
	registry *jobs.Registry
	store    jobs.Store
	dead     jobs.DeadLetterer
	recorder Recorder
	cfg      Config
	now      func() time.Time

	// settles runs the background settles, SettleWindow at a time; nil settles in the slot.
	settles *pool.Pool
}

// NewProcessor returns a Processor that runs the handlers in registry, keeps job records in store,
// buries jobs with dead and tells rec about every delivery.
func NewProcessor(logger *slog.Logger, registry *jobs.Registry, store jobs.Store, dead jobs.DeadLetterer, rec Recorder, cfg Config) *Processor {
	if cfg.SettleTimeout <= 0 {
		cfg.SettleTimeout = defaultSettleTimeout
	}
	if cfg.Lease <= 0 {
		cfg.Lease = defaultLease
	}
	p := &Processor{logger: logger, registry: registry, store: store, dead: dead, recorder: rec, cfg: cfg, now: time.Now}
	if cfg.SettleWindow > 0 {
		p.settles, _ = pool.New(pool.Config{Size: cfg.SettleWindow}) // a positive size cannot fail
	}
	return p
}

// Task returns the pool task that processes d. The pool recovers a panicking handler and reports
// it to the task's Done, which fails the attempt like any other error.
func (p *Processor) Task(d jobs.Delivery) pool.Task {
	a := &attempt{p: p, d: d, logger: p.logger, claim: rand.Text()}
	if p.settles == nil {
		return pool.Task{Run: a.run, Done: a.done}
	}
	return pool.Task{Run: a.run, Done: func(ctx context.Context, err error) {
		if a.settled {
			return
		}
		// Submit waits for room in the window, still holding the slot. Once Wait has begun, it
		// refuses: settle here then.
		settle := pool.Task{Run: func(ctx context.Context) error { a.done(ctx, err); return nil }}
		if p.settles.Submit(ctx, settle) != nil {
			a.done(ctx, err)
		}
	}}
}

// Wait waits until the attempts settling in the background (see Config.SettleWindow) have
// settled, each within SettleTimeout, or until ctx ends, which cancels them. Attempts that end
// after Wait began settle in their slot. Call it once the pool is shut down, before closing the
// connection.
func (p *Processor) Wait(ctx context.Context) {
	if p.settles != nil {
		_ = p.settles.Shutdown(ctx) // its error is ctx's
	}
}

// claimResult is what claiming a delivered job found.
type claimResult int

const (
	claimed   claimResult = iota // this attempt holds the job
	finished                     // the job is final: nothing to run
	held                         // another attempt holds the job
	exhausted                    // the last allowed attempt was abandoned: bury the job
)

// attempt is the state of one delivery, shared by the task's Run and Done.
type attempt struct {
	p       *Processor
	d       jobs.Delivery
	logger  *slog.Logger
	started time.Time
	// claim is this attempt's token in the record's Holder.
	claim string

	env jobs.Envelope // zero if the message could not be decoded
	// rec is the record as this attempt last read or wrote it, with its revision.
	rec jobs.Record
	// number is the attempt number, counted in the record.
	number int
	// claimErr is set when the claim could not be made for want of the store.
	claimErr bool
	// settled is set when run already settled the delivery and done has nothing to do.
	settled bool
	// lost is set when another attempt took the job over while this one ran.
	lost bool
}

func (a *attempt) run(ctx context.Context) error {
	a.started = a.p.now()
	env, err := jobs.DecodeEnvelope(a.d.Data())
	if err != nil {
		return jobs.Permanent(err)
	}
	a.env = env
	a.logger = a.p.logger.With(slog.String("job_id", env.ID), slog.String("job_type", env.Type))

	result, err := a.claimJob(ctx)
	if err != nil {
		a.claimErr = true
		return fmt.Errorf("claim: %w", err)
	}
	switch result {
	case finished:
		// A redelivery after the job finished (e.g. the ack was lost): do not run it again.
		a.settle(ctx, OutcomeDuplicate, a.d.Ack(), "skipping job that already finished", slog.String("status", string(a.rec.Status)))
		return nil
	case held:
		// A redelivery while an attempt runs the job (its heartbeats were lost, or the server
		// restarted): look again once the holder's lease would have run out.
		delay := max(a.rec.StoredAt.Add(a.rec.Lease).Sub(a.p.now()), minHeldDelay)
		a.settle(ctx, OutcomeHeld, a.d.Retry(delay), "job held by a running attempt; put back", slog.Duration("retry_in", delay))
		return nil
	case exhausted:
		// Only reachable when the attempt before never reported back (its worker died).
		return jobs.Permanent(fmt.Errorf("attempt %d of %d was abandoned by its worker; last error: %q",
			a.number, env.MaxAttempts, a.rec.LastError))
	}
	a.logger = a.logger.With(slog.Int("attempt", a.number), slog.Int("max_attempts", env.MaxAttempts))

	handler, ok := a.p.registry.Lookup(env.Type)
	if !ok {
		return jobs.Permanent(fmt.Errorf("%w %q", jobs.ErrUnknownType, env.Type))
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := a.heartbeat(ctx, cancel)
	defer stop()
	return handler.Handle(ctx, jobs.Job{
		ID:          env.ID,
		Type:        env.Type,
		Payload:     env.Payload,
		Attempt:     a.number,
		MaxAttempts: env.MaxAttempts,
	})
}

// settle ends a delivery that run settled without running the job.
func (a *attempt) settle(ctx context.Context, outcome string, err error, msg string, attrs ...any) {
	a.settled = true
	if err != nil {
		a.logger.WarnContext(ctx, "settling a redelivery failed", slog.String("outcome", outcome), slog.Any("error", err))
	}
	a.logger.InfoContext(ctx, msg, attrs...)
	a.p.recorder.Finished(a.jobType(), outcome, a.p.now().Sub(a.started))
}

// claimJob makes this attempt the holder of the job: it creates the record, or moves it, by
// compare-and-set, from a state no live attempt holds to running with this attempt's claim.
func (a *attempt) claimJob(ctx context.Context) (claimResult, error) {
	env := a.env
	fresh := jobs.Record{
		ID:          env.ID,
		Type:        env.Type,
		Status:      jobs.StatusRunning,
		Attempts:    1,
		MaxAttempts: env.MaxAttempts,
		CreatedAt:   env.EnqueuedAt,
		Fingerprint: jobs.Fingerprint(env.Type, env.Payload),
	}
	for range maxWrites {
		now := a.p.now()
		rec, err := call(ctx, func(ctx context.Context) (jobs.Record, error) { return a.p.store.Create(ctx, a.holding(fresh, now)) })
		if err == nil {
			a.rec, a.number = rec, rec.Attempts
			return claimed, nil
		}
		if !errors.Is(err, jobs.ErrExists) {
			return 0, err
		}
		cur, err := call(ctx, func(ctx context.Context) (jobs.Record, error) { return a.p.store.Get(ctx, env.ID) })
		switch {
		case errors.Is(err, jobs.ErrNotFound):
			continue // expired in between: create it again
		case err != nil:
			return 0, err
		}
		a.rec, a.number = cur, cur.Attempts
		switch {
		case cur.Holder == a.claim && cur.Status == jobs.StatusRunning:
			return claimed, nil // our create went through; only its reply was lost
		case cur.Status.Terminal():
			return finished, nil
		case cur.Held(now):
			return held, nil
		case cur.Attempts >= env.MaxAttempts:
			return exhausted, nil
		}
		next := a.holding(cur, now)
		next.Attempts = cur.Attempts + 1
		if next.Fingerprint == "" {
			next.Fingerprint = fresh.Fingerprint
		}
		rec, err = call(ctx, func(ctx context.Context) (jobs.Record, error) { return a.p.store.Update(ctx, next) })
		if errors.Is(err, jobs.ErrStale) {
			continue // another delivery claimed it first: look again
		}
		if err != nil {
			return 0, err
		}
		a.rec, a.number = rec, rec.Attempts
		return claimed, nil
	}
	return 0, fmt.Errorf("job %s: %w %d times", env.ID, jobs.ErrStale, maxWrites)
}

// call runs one store operation within storeTimeout.
func call(ctx context.Context, op func(context.Context) (jobs.Record, error)) (jobs.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	return op(ctx)
}

// holding returns r as running under this attempt's claim at time now.
func (a *attempt) holding(r jobs.Record, now time.Time) jobs.Record {
	r.Status = jobs.StatusRunning
	r.Holder = a.claim
	r.Lease = a.p.cfg.Lease
	r.UpdatedAt = now.UTC()
	return r
}

// write applies change to the record this attempt holds, by compare-and-set. If the record
// changed behind its back, write looks: still this attempt's claim (its own write went through
// unacknowledged, or the server lost one), or a state no live attempt holds (the server lost
// the claim), and it writes again; held by another attempt or final, and it returns
// errLostClaim.
func (a *attempt) write(ctx context.Context, change func(*jobs.Record)) error {
	next := a.rec
	change(&next)
	next.Holder = a.claim
	next.UpdatedAt = a.p.now().UTC()
	for range maxWrites {
		rec, err := call(ctx, func(ctx context.Context) (jobs.Record, error) { return a.p.store.Update(ctx, next) })
		if err == nil {
			a.rec = rec
			return nil
		}
		if !errors.Is(err, jobs.ErrStale) {
			return err
		}
		cur, err := call(ctx, func(ctx context.Context) (jobs.Record, error) { return a.p.store.Get(ctx, next.ID) })
		switch {
		case errors.Is(err, jobs.ErrNotFound):
			if rec, err := call(ctx, func(ctx context.Context) (jobs.Record, error) { return a.p.store.Create(ctx, next) }); err == nil {
				a.rec = rec
				return nil
			}
			continue
		case err != nil:
			return err
		case cur.Holder == a.claim && cur.Status == next.Status:
			a.rec = cur // this very write went through; only its reply was lost
			return nil
		case cur.Holder != a.claim && (cur.Status.Terminal() || cur.Held(a.p.now())):
			return errLostClaim
		}
		next.Revision = cur.Revision
	}
	return fmt.Errorf("job %s: %w %d times", next.ID, jobs.ErrStale, maxWrites)
}

// persist is write for the record of a finished attempt: it tries again while the store is
// unreachable (the server restarting, say) until ctx ends, rather than leave the job looking
// held until the lease runs out.
func (a *attempt) persist(ctx context.Context, change func(*jobs.Record)) error {
	for {
		err := a.write(ctx, change)
		if err == nil || errors.Is(err, errLostClaim) || errors.Is(err, jobs.ErrStale) {
			return err
		}
		a.logger.WarnContext(ctx, "writing the job record failed; trying again", slog.Any("error", err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(writeRetryDelay):
		}
	}
}

// heartbeat periodically tells the queue the job is still running, so that it is not
// redelivered, and renews the claim, so that a redelivery all the same leaves it alone. It
// cancels the handler with errLostClaim if another attempt took the job over. stop waits for
// the heartbeat goroutine to end.
func (a *attempt) heartbeat(ctx context.Context, cancel context.CancelCauseFunc) (stop func()) {
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
				err := a.write(ctx, func(*jobs.Record) {})
				switch {
				case errors.Is(err, errLostClaim):
					a.lostClaim(ctx)
					cancel(errLostClaim)
					return
				case err != nil:
					a.logger.WarnContext(ctx, "renewing the claim failed", slog.Any("error", err))
				}
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
	}
}

// lostClaim notes that another attempt ran the job too.
func (a *attempt) lostClaim(ctx context.Context) {
	if a.lost {
		return
	}
	a.lost = true
	a.p.recorder.DuplicateExecution(a.jobType())
	a.logger.ErrorContext(ctx, "another attempt took this job over while it ran; leaving the job to it")
}

// done settles the delivery according to the outcome of run.
func (a *attempt) done(ctx context.Context, err error) {
	if a.settled {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, a.p.cfg.SettleTimeout)
	defer cancel()

	switch {
	case a.claimErr:
		// Nothing ran and nothing was written: try again later.
		delay := a.p.cfg.Backoff.Delay(1)
		if nakErr := a.d.Retry(delay); nakErr != nil {
			a.logger.WarnContext(ctx, "nak failed", slog.Any("error", nakErr))
		}
		a.finish(ctx, OutcomeFailed, err, slog.Duration("retry_in", delay))
	case a.lost || errors.Is(err, errLostClaim):
		a.lostClaim(ctx)
		a.finish(ctx, OutcomeFailed, err)
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
	err := a.persist(ctx, func(r *jobs.Record) {
		r.Status = jobs.StatusSucceeded
		r.LastError = ""
	})
	switch {
	case errors.Is(err, errLostClaim):
		a.lostClaim(ctx)
		a.finish(ctx, OutcomeSucceeded, nil)
		return
	case err != nil:
		// Without the record the job looks held until its lease runs out; then another attempt
		// runs it again. Ask for that redelivery rather than lose the job.
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
	err := a.persist(ctx, func(r *jobs.Record) {
		r.Status = jobs.StatusFailed
		r.LastError = cause.Error()
	})
	if errors.Is(err, errLostClaim) {
		a.lostClaim(ctx)
		a.finish(ctx, OutcomeFailed, cause)
		return
	}
	if err != nil {
		// The redelivery finds the job held until the lease runs out, then takes it over.
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
	err := a.persist(ctx, func(r *jobs.Record) {
		r.Status = jobs.StatusFailed
		r.LastError = cause.Error()
	})
	if err != nil {
		a.logger.WarnContext(ctx, "record abort", slog.Any("error", err))
	}
	if err := a.d.Retry(0); err != nil {
		a.logger.WarnContext(ctx, "nak failed", slog.Any("error", err))
	}
	a.finish(ctx, OutcomeAborted, cause)
}

// bury moves the job to the dead-letter stream, then terminates the delivery.
func (a *attempt) bury(ctx context.Context, cause error) {
	if a.number == 0 { // never claimed (undecodable): the queue's count is all there is
		a.number = a.d.Attempt()
	}
	if a.env.ID != "" {
		// Still this attempt's job? A dead letter cannot be taken back.
		if err := a.persist(ctx, func(*jobs.Record) {}); errors.Is(err, errLostClaim) {
			a.lostClaim(ctx)
			a.finish(ctx, OutcomeFailed, cause)
			return
		}
	}
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
		err := a.persist(ctx, func(r *jobs.Record) {
			r.Status = jobs.StatusDead
			r.Attempts = a.number
			r.LastError = cause.Error()
		})
		if errors.Is(err, errLostClaim) {
			a.lostClaim(ctx)
			a.finish(ctx, OutcomeFailed, cause)
			return
		}
		if err != nil {
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
