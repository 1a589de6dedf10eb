// Package pool runs tasks on a bounded number of goroutines.
//
// It is deliberately small and knows nothing about where tasks come from. A producer reserves a
// slot before it fetches work, so it never holds work it cannot start:
//
//	slot, err := p.Reserve(ctx) // blocks while Size tasks are running
//	...fetch one unit of work...
//	err = slot.Go(ctx, task)    // or slot.Release() if there was nothing to do
//
// TryReserve takes further free slots without blocking, to fetch work in batches.
//
// A goroutine that finished its task waits a while for the next one rather than ending, so that
// a busy pool does not make (and grow the stack of) a goroutine per task.
//
// Every task runs under its own context, bounded by Config.Timeout and cancelled when Shutdown
// gives up waiting. A panicking task is recovered and reported to its Done callback as a
// *PanicError; it never takes the process down.
package pool

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

var (
	// ErrClosed is returned by Reserve, Submit and Slot.Go once Shutdown has been called.
	ErrClosed = errors.New("pool: closed")
	// ErrAborted is the cancellation cause of a task that was still running when Shutdown's
	// context expired. Done receives an error that matches it.
	ErrAborted = errors.New("pool: task aborted by shutdown")
	// ErrTimeout is the cancellation cause of a task that ran longer than Config.Timeout.
	// Done receives an error that matches it.
	ErrTimeout = errors.New("pool: task timed out")
)

// PanicError is what Done receives when Run panicked.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Task is one unit of work.
type Task struct {
	// Run does the work. Its context carries the values of the context given to Submit (not its
	// cancellation), the per-task timeout, and the pool's abort signal.
	Run func(ctx context.Context) error
	// Done, if set, receives Run's result on the same goroutine once Run has returned. Its
	// context is never cancelled by the pool, so it can still settle the work (acknowledge,
	// retry) after a timeout or an abort.
	Done func(ctx context.Context, err error)
}

// Config sets the pool's limits.
type Config struct {
	// Size is the maximum number of tasks running at once. It must be at least 1.
	Size int
	// Timeout bounds each task's Run. Zero means no timeout.
	Timeout time.Duration
}

// Pool is a bounded set of goroutines. Create it with New; the zero value is not usable.
type Pool struct {
	slots   chan struct{}
	timeout time.Duration

	// abort is cancelled, with ErrAborted, when Shutdown stops waiting for running tasks.
	abort     context.Context
	abortTask context.CancelCauseFunc

	mu      sync.Mutex // guards closed and the WaitGroup's Add calls against Wait
	closed  bool
	closing chan struct{}
	tasks   sync.WaitGroup

	// work hands a task to an idle goroutine of the pool. Goroutines outlive their task and wait
	// for the next one, for a while: a goroutine made afresh for every task grows its stack anew
	// every time, and that showed in the profiles.
	work chan job

	running atomic.Int64
}

// job is a task handed to a goroutine, with the context Go was given.
type job struct {
	ctx context.Context //nolint:containedctx // carried from Go to the goroutine that runs the task
	t   Task
}

// idleExit is how long a goroutine of the pool waits for the next task before it ends.
const idleExit = 10 * time.Second

// New returns a pool that runs at most cfg.Size tasks at once.
func New(cfg Config) (*Pool, error) {
	if cfg.Size < 1 {
		return nil, fmt.Errorf("pool: size must be at least 1, got %d", cfg.Size)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("pool: timeout must not be negative, got %s", cfg.Timeout)
	}
	abort, cancel := context.WithCancelCause(context.Background())
	return &Pool{
		slots:     make(chan struct{}, cfg.Size),
		timeout:   cfg.Timeout,
		abort:     abort,
		abortTask: cancel,
		closing:   make(chan struct{}),
		work:      make(chan job),
	}, nil
}

// Size returns the maximum number of concurrent tasks.
func (p *Pool) Size() int { return cap(p.slots) }

// Running returns the number of tasks currently running.
func (p *Pool) Running() int { return int(p.running.Load()) }

// Slot is a reserved place in the pool. Exactly one of Go or Release must be called on it, once.
type Slot struct {
	p    *Pool
	used bool
}

// Reserve blocks until a slot is free, ctx is done or the pool is shut down.
func (p *Pool) Reserve(ctx context.Context) (*Slot, error) {
	select {
	case <-p.closing:
		return nil, ErrClosed
	default:
	}
	select {
	case p.slots <- struct{}{}:
		return &Slot{p: p}, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("pool: reserve: %w", ctx.Err())
	case <-p.closing:
		return nil, ErrClosed
	}
}

// TryReserve reserves a slot if one is free right now.
func (p *Pool) TryReserve() (*Slot, bool) {
	select {
	case <-p.closing:
		return nil, false
	default:
	}
	select {
	case p.slots <- struct{}{}:
		return &Slot{p: p}, true
	default:
		return nil, false
	}
}

// Release gives the slot back without running anything.
func (s *Slot) Release() {
	if s.used {
		return
	}
	s.used = true
	<-s.p.slots
}

// Go starts t in the reserved slot and returns at once. ctx only provides values to the task.
// If the pool has been shut down, Go releases the slot, does not run t (nor its Done) and returns
// ErrClosed: the caller still owns the work and must give it back.
func (s *Slot) Go(ctx context.Context, t Task) error {
	if s.used {
		return errors.New("pool: slot already used")
	}
	s.used = true
	p := s.p

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return ErrClosed
	}
	p.running.Add(1)
	p.tasks.Add(1)
	p.mu.Unlock()

	j := job{ctx: ctx, t: t}
	select {
	case p.work <- j: // an idle goroutine takes it
	default:
		go p.serve(j)
	}
	return nil
}

// serve runs j, then the tasks handed to it after, until it has waited idleExit for one or the
// pool shuts down. A task in the slot reserved for it always finds a goroutine: an idle one, or
// a new one.
func (p *Pool) serve(j job) {
	idle := time.NewTimer(idleExit)
	defer idle.Stop()
	for {
		p.run(j.ctx, j.t)
		p.running.Add(-1)
		<-p.slots
		p.tasks.Done()

		idle.Reset(idleExit)
		select {
		case j = <-p.work:
		case <-idle.C:
			return
		case <-p.closing:
			return
		}
	}
}

// Submit reserves a slot, blocking as Reserve does, and starts t in it.
func (p *Pool) Submit(ctx context.Context, t Task) error {
	slot, err := p.Reserve(ctx)
	if err != nil {
		return err
	}
	return slot.Go(ctx, t)
}

func (p *Pool) run(parent context.Context, t Task) {
	// The task keeps the caller's values but not its cancellation: a producer that stops
	// fetching must not kill the work already handed over. Only the pool's timeout and abort
	// signal end a task early.
	base := context.WithoutCancel(parent)
	ctx, cancel := context.WithCancelCause(base)
	defer cancel(nil)
	//nolint:contextcheck // the pool's abort signal is independent of the producer's context by design
	stop := context.AfterFunc(p.abort, func() { cancel(ErrAborted) })
	defer stop()
	if p.timeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeoutCause(ctx, p.timeout, ErrTimeout)
		defer cancelTimeout()
	}

	err := safeRun(ctx, t.Run)
	if err != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, ErrAborted) && !errors.Is(err, ErrAborted):
			err = fmt.Errorf("%w: %w", ErrAborted, err)
		case errors.Is(cause, ErrTimeout) && !errors.Is(err, ErrTimeout):
			err = fmt.Errorf("%w after %s: %w", ErrTimeout, p.timeout, err)
		}
	}
	if t.Done != nil {
		t.Done(base, err)
	}
}

func safeRun(ctx context.Context, run func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return run(ctx)
}

// Shutdown stops the pool from starting new tasks and waits for the running ones (and their Done
// callbacks) to finish. If ctx ends first, Shutdown cancels the running tasks with ErrAborted,
// waits for them to return so that Done can give their work back, and returns ctx's error.
// Tasks must honour their context for this to be prompt.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.closing)
	}
	p.mu.Unlock()

	done := make(chan struct{})
	go func() {
		p.tasks.Wait()
		close(done)
	}()

	select {
	case <-done:
		p.abortTask(ErrClosed) // release the AfterFunc registrations; nothing is running
		return nil
	case <-ctx.Done():
		p.abortTask(ErrAborted)
		<-done
		return fmt.Errorf("pool: shutdown: %w", ctx.Err())
	}
}
