package hits_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"example.com/gopher-template/url-shortener/internal/hits"
)

type fakeStore struct {
	mu      sync.Mutex
	stored  map[string]int64
	flushes int
	err     error
}

func (s *fakeStore) AddHits(_ context.Context, h map[string]int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushes++
	if s.err != nil {
		return s.err
	}
	if s.stored == nil {
		s.stored = make(map[string]int64)
	}
	for code, n := range h {
		s.stored[code] += n
	}
	return nil
}

// fakeRecorder remembers the flushes it is told about.
type fakeRecorder struct {
	mu       sync.Mutex
	stored   int64
	failures int
}

func (r *fakeRecorder) HitsFlushed(hits int64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failures++
		return
	}
	r.stored += hits
}

func (r *fakeRecorder) snapshot() (stored int64, failures int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stored, r.failures
}

func newBatcher(t *testing.T, store hits.Store, rec hits.Recorder, interval time.Duration) *hits.Batcher {
	t.Helper()
	b, err := hits.NewBatcher(slog.New(slog.DiscardHandler), store, hits.Options{Interval: interval, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewBatcherRejectsNonPositiveInterval(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := hits.NewBatcher(slog.New(slog.DiscardHandler), &fakeStore{}, hits.Options{Interval: d}); err == nil {
			t.Errorf("NewBatcher(Interval: %v) succeeded", d)
		}
	}
}

func (s *fakeStore) snapshot() (map[string]int64, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.stored), s.flushes
}

func TestBatcherFlushesPeriodically(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &fakeStore{}
		b := newBatcher(t, store, nil, time.Second)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			b.Run(ctx)
			close(done)
		}()

		for range 3 {
			b.Incr("a")
		}
		b.Incr("b")
		if got := b.Pending("a"); got != 3 {
			t.Fatalf("Pending(a) = %d, want 3", got)
		}

		time.Sleep(999 * time.Millisecond)
		synctest.Wait()
		if _, flushes := store.snapshot(); flushes != 0 {
			t.Fatalf("flushed %d times before the interval", flushes)
		}

		time.Sleep(time.Millisecond)
		synctest.Wait()
		stored, flushes := store.snapshot()
		if flushes != 1 || stored["a"] != 3 || stored["b"] != 1 {
			t.Fatalf("after one interval: stored %v in %d flushes", stored, flushes)
		}
		if got := b.Pending("a"); got != 0 {
			t.Errorf("Pending(a) after flush = %d, want 0", got)
		}

		// An idle interval does not touch the store.
		time.Sleep(time.Second)
		synctest.Wait()
		if _, flushes := store.snapshot(); flushes != 1 {
			t.Errorf("idle interval flushed: %d flushes", flushes)
		}

		cancel()
		<-done
	})
}

func TestBatcherKeepsHitsWhenStoreFails(t *testing.T) {
	t.Parallel()
	store := &fakeStore{err: errors.New("db down")}
	rec := &fakeRecorder{}
	b := newBatcher(t, store, rec, time.Hour)
	b.Incr("a")
	b.Incr("a")

	if err := b.Flush(t.Context()); err == nil {
		t.Fatal("Flush() succeeded with a failing store")
	}
	b.Incr("a")
	if got := b.Pending("a"); got != 3 {
		t.Fatalf("Pending(a) after failed flush = %d, want 3", got)
	}

	store.mu.Lock()
	store.err = nil
	store.mu.Unlock()
	if err := b.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if stored, _ := store.snapshot(); stored["a"] != 3 {
		t.Errorf("stored %v, want a=3", stored)
	}
	if got := b.Pending("a"); got != 0 {
		t.Errorf("Pending(a) = %d, want 0", got)
	}
	if stored, failures := rec.snapshot(); stored != 3 || failures != 1 {
		t.Errorf("recorded %d stored hits and %d failed flushes, want 3 and 1", stored, failures)
	}
}

func TestBatcherConcurrentIncr(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	b := newBatcher(t, store, nil, time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				b.Incr("hot")
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			if err := b.Flush(t.Context()); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if err := b.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if stored, _ := store.snapshot(); stored["hot"] != 8000 {
		t.Errorf("stored %d hits, want 8000", stored["hot"])
	}
}
