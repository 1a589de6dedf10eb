package pool_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"example.com/gopher-template/job-queue/internal/pool"
)

func newPool(t testing.TB, cfg pool.Config) *pool.Pool {
	t.Helper()
	p, err := pool.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return p
}

// results collects the errors reported to Done callbacks.
type results struct {
	mu   sync.Mutex
	errs []error
}

func (r *results) done(_ context.Context, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *results) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		cfg     pool.Config
		wantErr bool
	}{
		{name: "valid", cfg: pool.Config{Size: 1}},
		{name: "valid with timeout", cfg: pool.Config{Size: 4, Timeout: time.Second}},
		{name: "zero size", cfg: pool.Config{Size: 0}, wantErr: true},
		{name: "negative size", cfg: pool.Config{Size: -1}, wantErr: true},
		{name: "negative timeout", cfg: pool.Config{Size: 1, Timeout: -time.Second}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := pool.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New(%+v) error = %v, wantErr %v", tt.cfg, err, tt.wantErr)
			}
		})
	}
}

func TestConcurrencyNeverExceedsSize(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		size  int
		tasks int
	}{
		{name: "serial", size: 1, tasks: 20},
		{name: "small pool", size: 3, tasks: 60},
		{name: "pool larger than work", size: 16, tasks: 8},
		{name: "many tasks", size: 8, tasks: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t, pool.Config{Size: tt.size})

			var running, highWater, completed atomic.Int64
			for range tt.tasks {
				err := p.Submit(t.Context(), pool.Task{Run: func(context.Context) error {
					n := running.Add(1)
					for {
						hw := highWater.Load()
						if n <= hw || highWater.CompareAndSwap(hw, n) {
							break
						}
					}
					if got := p.Running(); got > tt.size {
						t.Errorf("Running() = %d, above size %d", got, tt.size)
					}
					time.Sleep(time.Millisecond)
					running.Add(-1)
					completed.Add(1)
					return nil
				}})
				if err != nil {
					t.Fatalf("Submit: %v", err)
				}
			}
			if err := p.Shutdown(t.Context()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			if hw := highWater.Load(); hw > int64(tt.size) {
				t.Errorf("high-water mark %d exceeds size %d", hw, tt.size)
			}
			if tt.size >= 2 && tt.tasks >= 2*tt.size && highWater.Load() < 2 {
				t.Errorf("high-water mark %d: tasks never ran concurrently", highWater.Load())
			}
			if got := completed.Load(); got != int64(tt.tasks) {
				t.Errorf("completed %d tasks, want %d", got, tt.tasks)
			}
		})
	}
}

// errBoom is the error of a failing task.
var errBoom = errors.New("boom")

// taskOutcomeCases are what a task can do, and what Done must receive.
var taskOutcomeCases = []struct {
	name    string
	run     func(ctx context.Context) error
	check   func(t *testing.T, err error)
	timeout time.Duration
}{
	{
		name:  "success",
		run:   func(context.Context) error { return nil },
		check: func(t *testing.T, err error) { t.Helper(); assertNoError(t, err) },
	},
	{
		name: "error is passed through",
		run:  func(context.Context) error { return errBoom },
		check: func(t *testing.T, err error) {
			t.Helper()
			if !errors.Is(err, errBoom) {
				t.Fatalf("err = %v, want %v", err, errBoom)
			}
		},
	},
	{
		name: "panic becomes PanicError",
		run:  func(context.Context) error { panic("handler exploded") },
		check: func(t *testing.T, err error) {
			t.Helper()
			var pe *pool.PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *pool.PanicError", err, err)
			}
			if !strings.Contains(pe.Error(), "handler exploded") {
				t.Errorf("PanicError = %q, want it to contain the panic value", pe.Error())
			}
			if len(pe.Stack) == 0 {
				t.Error("PanicError has no stack")
			}
		},
	},
	{
		name: "panic with error value",
		run:  func(context.Context) error { panic(errBoom) },
		check: func(t *testing.T, err error) {
			t.Helper()
			var pe *pool.PanicError
			if !errors.As(err, &pe) || pe.Value != errBoom { //nolint:errorlint // identity of the panic value
				t.Fatalf("err = %v, want PanicError wrapping %v", err, errBoom)
			}
		},
	},
	{
		name:    "timeout cancels the task",
		timeout: 50 * time.Millisecond,
		run: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		},
		check: func(t *testing.T, err error) {
			t.Helper()
			if !errors.Is(err, pool.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want ErrTimeout and DeadlineExceeded", err)
			}
		},
	},
}

func TestTaskOutcomes(t *testing.T) {
	t.Parallel()

	for _, tt := range taskOutcomeCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				p := newPool(t, pool.Config{Size: 2, Timeout: tt.timeout})
				var r results
				if err := p.Submit(t.Context(), pool.Task{Run: tt.run, Done: r.done}); err != nil {
					t.Fatalf("Submit: %v", err)
				}
				if err := p.Shutdown(t.Context()); err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
				errs := r.all()
				if len(errs) != 1 {
					t.Fatalf("Done called %d times, want 1", len(errs))
				}
				tt.check(t, errs[0])
			})
		})
	}
}

func TestPanicDoesNotStopThePool(t *testing.T) {
	t.Parallel()

	p := newPool(t, pool.Config{Size: 2})
	var r results
	var ok atomic.Int64
	for i := range 10 {
		run := func(context.Context) error { ok.Add(1); return nil }
		if i%2 == 0 {
			run = func(context.Context) error { panic(i) }
		}
		if err := p.Submit(t.Context(), pool.Task{Run: run, Done: r.done}); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	if err := p.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if ok.Load() != 5 {
		t.Errorf("%d healthy tasks ran, want 5", ok.Load())
	}
	var panics int
	for _, err := range r.all() {
		var pe *pool.PanicError
		if errors.As(err, &pe) {
			panics++
		}
	}
	if panics != 5 {
		t.Errorf("%d panics reported, want 5", panics)
	}
}

func TestShutdownDrainsRunningTasks(t *testing.T) {
	t.Parallel()

	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.Config{Size: 4})
		var r results
		var finished atomic.Int64
		for range 4 {
			err := p.Submit(t.Context(), pool.Task{
				Run: func(ctx context.Context) error {
					select {
					case <-time.After(time.Second):
						finished.Add(1)
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				},
				Done: r.done,
			})
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
		}

		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if finished.Load() != 4 {
			t.Errorf("%d tasks finished before Shutdown returned, want 4", finished.Load())
		}
		for _, err := range r.all() {
			assertNoError(t, err)
		}
		if err := p.Submit(t.Context(), pool.Task{Run: func(context.Context) error { return nil }}); !errors.Is(err, pool.ErrClosed) {
			t.Errorf("Submit after Shutdown = %v, want ErrClosed", err)
		}
	})
}

func TestShutdownAbortsTasksThatOutliveTheDeadline(t *testing.T) {
	t.Parallel()

	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.Config{Size: 2})
		var r results
		for _, d := range []time.Duration{100 * time.Millisecond, time.Hour} {
			err := p.Submit(t.Context(), pool.Task{
				Run: func(ctx context.Context) error {
					select {
					case <-time.After(d):
						return nil
					case <-ctx.Done():
						return context.Cause(ctx)
					}
				},
				Done: r.done,
			})
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
		}

		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		err := p.Shutdown(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
		}
		if elapsed := time.Since(start); elapsed != time.Second {
			t.Errorf("Shutdown took %v, want exactly the 1s deadline", elapsed)
		}

		var succeeded, aborted int
		for _, err := range r.all() {
			switch {
			case err == nil:
				succeeded++
			case errors.Is(err, pool.ErrAborted):
				aborted++
			default:
				t.Errorf("unexpected task error %v", err)
			}
		}
		if succeeded != 1 || aborted != 1 {
			t.Errorf("succeeded=%d aborted=%d, want 1 and 1", succeeded, aborted)
		}
	})
}

func TestTaskContextIgnoresProducerCancellation(t *testing.T) {
	t.Parallel()

	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.Config{Size: 1})
		type key struct{}
		producer, stopProducing := context.WithCancel(context.WithValue(t.Context(), key{}, "v"))

		var r results
		err := p.Submit(producer, pool.Task{
			Run: func(ctx context.Context) error {
				if ctx.Value(key{}) != "v" {
					return errors.New("task lost the producer's context values")
				}
				time.Sleep(time.Second)
				return ctx.Err()
			},
			Done: r.done,
		})
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		stopProducing() // e.g. SIGTERM: stop fetching, but finish what is running
		if err := p.Shutdown(t.Context()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		for _, err := range r.all() {
			assertNoError(t, err)
		}
	})
}

func TestReserve(t *testing.T) {
	t.Parallel()

	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.Config{Size: 1})
		slot, err := p.Reserve(t.Context())
		if err != nil {
			t.Fatalf("Reserve: %v", err)
		}

		// A full pool blocks Reserve until ctx ends.
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := p.Reserve(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Reserve on a full pool = %v, want DeadlineExceeded", err)
		}

		// TryReserve never blocks.
		if _, ok := p.TryReserve(); ok {
			t.Fatal("TryReserve on a full pool succeeded")
		}

		// Releasing frees the slot; releasing twice is harmless.
		slot.Release()
		slot.Release()
		slot, err = p.Reserve(t.Context())
		if err != nil {
			t.Fatalf("Reserve after Release: %v", err)
		}
		if err := slot.Go(t.Context(), pool.Task{Run: func(context.Context) error { return nil }}); err != nil {
			t.Fatalf("Go: %v", err)
		}
		if err := slot.Go(t.Context(), pool.Task{Run: func(context.Context) error { return nil }}); err == nil {
			t.Fatal("second Go on the same slot succeeded")
		}

		// A slot reserved before Shutdown is refused afterwards, and gives its place back.
		late, err := p.Reserve(t.Context())
		if err != nil {
			t.Fatalf("Reserve: %v", err)
		}
		if err := p.Shutdown(t.Context()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if err := late.Go(t.Context(), pool.Task{Run: func(context.Context) error { return nil }}); !errors.Is(err, pool.ErrClosed) {
			t.Fatalf("Go after Shutdown = %v, want ErrClosed", err)
		}
		if _, err := p.Reserve(t.Context()); !errors.Is(err, pool.ErrClosed) {
			t.Fatalf("Reserve after Shutdown = %v, want ErrClosed", err)
		}
		if _, ok := p.TryReserve(); ok {
			t.Fatal("TryReserve after Shutdown succeeded")
		}
		if p.Running() != 0 {
			t.Errorf("Running() = %d after Shutdown, want 0", p.Running())
		}
	})
}

func assertNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func BenchmarkPoolSubmit(b *testing.B) {
	for _, size := range []int{1, 8, 64} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			p := newPool(b, pool.Config{Size: size, Timeout: time.Minute})
			var sink atomic.Int64
			task := pool.Task{
				Run:  func(context.Context) error { sink.Add(1); return nil },
				Done: func(context.Context, error) {},
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Submit(b.Context(), task); err != nil {
					b.Fatalf("Submit: %v", err)
				}
			}
			if err := p.Shutdown(b.Context()); err != nil {
				b.Fatalf("Shutdown: %v", err)
			}
		})
	}
}

// TestGoroutinesOutliveTheirTask: a task finds the goroutine of the one before it waiting, or a
// new one once that goroutine has given up waiting; either way every task runs.
func TestGoroutinesOutliveTheirTask(t *testing.T) {
	t.Parallel()

	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.Config{Size: 2})
		var ran atomic.Int64
		task := pool.Task{Run: func(context.Context) error { ran.Add(1); return nil }}
		for _, pause := range []time.Duration{0, time.Millisecond, time.Minute, 0} {
			time.Sleep(pause) // a minute: longer than an idle goroutine waits
			if err := p.Submit(t.Context(), task); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		if err := p.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := ran.Load(); n != 4 {
			t.Errorf("%d tasks ran, want 4", n)
		}
	})
}
