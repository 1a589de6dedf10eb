package outbox_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/outbox"
	"example.com/gopher-template/ecommerce/internal/outbox/outboxtest"
)

// clockedStore records when each round started and what it marked.
type clockedStore struct {
	*outboxtest.Memory
	start  time.Time
	mu     sync.Mutex
	rounds []round
}

type round struct {
	at     time.Duration // since start
	marked int
	err    error
}

func (s *clockedStore) Relay(ctx context.Context, limit int, publish func(context.Context, []events.Event) ([]uuid.UUID, error)) (int, error) {
	at := time.Since(s.start)
	n, err := s.Memory.Relay(ctx, limit, publish)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rounds = append(s.rounds, round{at, n, err})
	return n, err
}

func (s *clockedStore) history() []round {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rounds)
}

// publisher confirms what it is told to, or fails.
type publisher struct {
	mu   sync.Mutex
	fail error
	// confirm picks the IDs to confirm; nil confirms all.
	confirm func([]events.Event) []uuid.UUID
	calls   int
}

func (p *publisher) Publish(ctx context.Context, batch []events.Event) ([]uuid.UUID, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.fail != nil {
		return nil, p.fail
	}
	if p.confirm != nil {
		return p.confirm(batch), nil
	}
	return outboxtest.IDs(batch), ctx.Err()
}

func (p *publisher) set(fail error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = fail
}

// recorder counts what the relay records.
type recorder struct {
	mu       sync.Mutex
	relayed  int
	failures int
}

func (r *recorder) Relayed(n int) { r.mu.Lock(); r.relayed += n; r.mu.Unlock() }
func (r *recorder) RelayFailed()  { r.mu.Lock(); r.failures++; r.mu.Unlock() }

func (r *recorder) counts() (relayed, failures int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.relayed, r.failures
}

const poll = 100 * time.Millisecond

// start runs a relay over store in the bubble and returns its stop.
func start(t *testing.T, opts outbox.Options) (stop func()) {
	t.Helper()
	r, err := outbox.NewRelay(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil after the stop", err)
		}
	}
}

func TestRelayDrainsFullBatchesThenPolls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &clockedStore{Memory: outboxtest.NewMemory(), start: time.Now()}
		if err := store.Add(t.Context(), outboxtest.NewEvents(250)...); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		stop := start(t, outbox.Options{Store: store, Publisher: &publisher{}, BatchSize: 100, PollInterval: poll, Recorder: rec})
		time.Sleep(poll + poll/2)
		synctest.Wait()
		stop()

		want := []round{{0, 100, nil}, {0, 100, nil}, {0, 50, nil}, {poll, 0, nil}}
		if got := store.history(); !slices.Equal(got, want) {
			t.Errorf("rounds = %v, want %v", got, want)
		}
		if n, _ := store.Pending(t.Context()); n != 0 {
			t.Errorf("%d events pending", n)
		}
		if relayed, failures := rec.counts(); relayed != 250 || failures != 0 {
			t.Errorf("recorded %d relayed, %d failures", relayed, failures)
		}
	})
}

func TestRelayBacksOffWhilePublishingFails(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &clockedStore{Memory: outboxtest.NewMemory(), start: time.Now()}
		if err := store.Add(t.Context(), outboxtest.NewEvents(3)...); err != nil {
			t.Fatal(err)
		}
		pub := &publisher{fail: errors.New("rabbit: not connected")}
		rec := &recorder{}
		stop := start(t, outbox.Options{Store: store, Publisher: pub, PollInterval: poll, MaxBackoff: 800 * time.Millisecond, Recorder: rec})

		// Failing rounds at 0, then after 100, 200, 400, 800, 800 ms: at 2300 ms the sixth.
		time.Sleep(3000 * time.Millisecond)
		synctest.Wait()
		if n, _ := store.Pending(t.Context()); n != 3 {
			t.Errorf("%d events pending during the outage, want 3", n)
		}
		pub.set(nil) // the broker is back before the round due at 3100 ms
		time.Sleep(150 * time.Millisecond)
		synctest.Wait()
		stop()

		h := store.history()
		var at []time.Duration
		for _, r := range h {
			at = append(at, r.at)
		}
		ms := time.Millisecond
		want := []time.Duration{0, 100 * ms, 300 * ms, 700 * ms, 1500 * ms, 2300 * ms, 3100 * ms}
		if !slices.Equal(at, want) {
			t.Errorf("rounds at %v, want %v", at, want)
		}
		if last := h[len(h)-1]; last.err != nil || last.marked != 3 {
			t.Errorf("first round after the outage = %+v, want 3 marked", last)
		}
		if n, _ := store.Pending(t.Context()); n != 0 {
			t.Errorf("%d events pending after the outage", n)
		}
		if relayed, failures := rec.counts(); relayed != 3 || failures != 6 {
			t.Errorf("recorded %d relayed and %d failures, want 3 and 6", relayed, failures)
		}
	})
}

func TestRelayMarksOnlyConfirmed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &clockedStore{Memory: outboxtest.NewMemory(), start: time.Now()}
		evs := outboxtest.NewEvents(4)
		if err := store.Add(t.Context(), evs...); err != nil {
			t.Fatal(err)
		}
		// The broker confirms only the first two of the first batch.
		var once sync.Once
		pub := &publisher{confirm: func(batch []events.Event) []uuid.UUID {
			ids := outboxtest.IDs(batch)
			once.Do(func() { ids = ids[:2] })
			return ids
		}}
		stop := start(t, outbox.Options{Store: store, Publisher: pub, BatchSize: 4, PollInterval: poll})
		synctest.Wait()
		for i, e := range evs {
			if got, want := store.Published(e.ID), i < 2; got != want {
				t.Errorf("event %d published = %v, want %v", i, got, want)
			}
		}
		time.Sleep(poll)
		synctest.Wait()
		stop()
		for i, e := range evs {
			if !store.Published(e.ID) {
				t.Errorf("event %d not published by the next round", i)
			}
		}
	})
}

// One event the broker never confirms (unroutable, say) must not slow the others down: a round
// that marked some events is not a failure to back off from.
func TestRelayDoesNotBackOffForOneBadEvent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &clockedStore{Memory: outboxtest.NewMemory(), start: time.Now()}
		evs := outboxtest.NewEvents(3)
		if err := store.Add(t.Context(), evs...); err != nil {
			t.Fatal(err)
		}
		bad := evs[0].ID
		pub := &publisher{confirm: func(batch []events.Event) []uuid.UUID {
			return slices.DeleteFunc(outboxtest.IDs(batch), func(id uuid.UUID) bool { return id == bad })
		}}
		failing := &partialPublisher{publisher: pub, err: errors.New("rabbit: event not confirmed")}
		stop := start(t, outbox.Options{Store: store, Publisher: failing, PollInterval: poll, MaxBackoff: 800 * time.Millisecond})
		// New events keep coming, one per poll interval, between the rounds.
		time.Sleep(poll / 2)
		for range 3 {
			if err := store.Add(t.Context(), outboxtest.NewEvents(1)...); err != nil {
				t.Fatal(err)
			}
			time.Sleep(poll)
		}
		synctest.Wait()
		stop()

		var at []time.Duration
		for _, r := range store.history() {
			at = append(at, r.at)
		}
		ms := time.Millisecond
		if want := []time.Duration{0, 100 * ms, 200 * ms, 300 * ms}; !slices.Equal(at, want) {
			t.Errorf("rounds at %v, want %v (one per poll interval, no backoff)", at, want)
		}
		if n, _ := store.Pending(t.Context()); n != 1 {
			t.Errorf("%d events pending, want only the bad one", n)
		}
	})
}

// partialPublisher confirms what its publisher confirms and reports err with it.
type partialPublisher struct {
	*publisher
	err error
}

func (p *partialPublisher) Publish(ctx context.Context, batch []events.Event) ([]uuid.UUID, error) {
	ids, _ := p.publisher.Publish(ctx, batch)
	return ids, p.err
}

func TestRelayBoundsARound(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := &clockedStore{Memory: outboxtest.NewMemory(), start: time.Now()}
		if err := store.Add(t.Context(), outboxtest.NewEvents(1)...); err != nil {
			t.Fatal(err)
		}
		hung := outbox.Options{Store: store, PollInterval: poll, Timeout: time.Second, Publisher: publishFunc(func(ctx context.Context, _ []events.Event) ([]uuid.UUID, error) {
			<-ctx.Done() // a broker that never confirms
			return nil, ctx.Err()
		})}
		stop := start(t, hung)
		time.Sleep(time.Second + poll + poll/2)
		synctest.Wait()
		stop()
		h := store.history()
		if len(h) != 2 || !errors.Is(h[0].err, context.DeadlineExceeded) || h[1].at != time.Second+poll {
			t.Errorf("rounds = %+v, want one ended by the 1 s timeout, then one after %v", h, poll)
		}
	})
}

type publishFunc func(context.Context, []events.Event) ([]uuid.UUID, error)

func (f publishFunc) Publish(ctx context.Context, b []events.Event) ([]uuid.UUID, error) {
	return f(ctx, b)
}

func TestNewRelayNeedsStoreAndPublisher(t *testing.T) {
	t.Parallel()
	if _, err := outbox.NewRelay(outbox.Options{Store: outboxtest.NewMemory()}); err == nil {
		t.Error("NewRelay accepted no Publisher")
	}
	if _, err := outbox.NewRelay(outbox.Options{Publisher: &publisher{}}); err == nil {
		t.Error("NewRelay accepted no Store")
	}
}
