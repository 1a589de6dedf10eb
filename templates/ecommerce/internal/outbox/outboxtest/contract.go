package outboxtest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/outbox"
)

// AddFunc inserts events into the outbox under test, as an order transaction does.
type AddFunc func(ctx context.Context, evs ...events.Event) error

// publishFunc is the publish callback of outbox.Store.Relay.
type publishFunc = func(ctx context.Context, batch []events.Event) ([]uuid.UUID, error)

// NewEvents returns n events of type stock.low, in order, with distinct IDs.
func NewEvents(n int) []events.Event {
	now := time.Now().UTC().Truncate(time.Microsecond)
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = events.Event{
			ID:          uuid.New(),
			Type:        events.TypeStockLow,
			AggregateID: uuid.New(),
			Payload:     []byte(`{"product_id":"` + uuid.NewString() + `","sku":"SKU-1","stock":1,"threshold":5}`),
			OccurredAt:  now.Add(time.Duration(i) * time.Millisecond),
		}
	}
	return evs
}

// IDs returns the events' IDs.
func IDs(evs []events.Event) []uuid.UUID {
	ids := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

// StoreContract runs the behaviour every outbox.Store must have against stores made by
// newStore, each empty, with the function that adds events to it.
func StoreContract(t *testing.T, newStore func(t *testing.T) (outbox.Store, AddFunc)) {
	t.Helper()
	// publishAll confirms everything, and records the batches it saw.
	type recorder struct{ batches [][]events.Event }
	publishAll := func(r *recorder) publishFunc {
		return func(_ context.Context, batch []events.Event) ([]uuid.UUID, error) {
			r.batches = append(r.batches, slices.Clone(batch))
			return IDs(batch), nil
		}
	}
	pending := func(t *testing.T, s outbox.Store, want int) {
		t.Helper()
		if n, err := s.Pending(t.Context()); err != nil || n != want {
			t.Errorf("Pending = %d, %v; want %d", n, err, want)
		}
	}

	t.Run("empty outbox", func(t *testing.T) {
		t.Parallel()
		s, _ := newStore(t)
		var r recorder
		n, err := s.Relay(t.Context(), 10, publishAll(&r))
		if err != nil || n != 0 {
			t.Errorf("Relay = %d, %v; want 0, nil", n, err)
		}
		for _, b := range r.batches {
			if len(b) > 0 {
				t.Errorf("publish called with %d events of an empty outbox", len(b))
			}
		}
		pending(t, s, 0)
	})

	t.Run("oldest first, limit, round trip", func(t *testing.T) {
		t.Parallel()
		s, add := newStore(t)
		evs := NewEvents(5)
		if err := add(t.Context(), evs...); err != nil {
			t.Fatal(err)
		}
		pending(t, s, 5)
		var r recorder
		for i, want := range [][]events.Event{evs[:2], evs[2:4], evs[4:]} {
			n, err := s.Relay(t.Context(), 2, publishAll(&r))
			if err != nil || n != len(want) {
				t.Fatalf("round %d: Relay = %d, %v; want %d, nil", i, n, err, len(want))
			}
			got := r.batches[len(r.batches)-1]
			if !slices.Equal(IDs(got), IDs(want)) {
				t.Errorf("round %d published %v, want %v", i, IDs(got), IDs(want))
			}
			for j := range got {
				if g, w := got[j], want[j]; g.Type != w.Type || g.AggregateID != w.AggregateID || string(g.Payload) != string(w.Payload) || !g.OccurredAt.Equal(w.OccurredAt) {
					t.Errorf("event read back as %+v, want %+v", g, w)
				}
			}
		}
		pending(t, s, 0)
		if n, err := s.Relay(t.Context(), 2, publishAll(&r)); err != nil || n != 0 {
			t.Errorf("Relay of a drained outbox = %d, %v", n, err)
		}
	})

	t.Run("only the returned IDs are marked, even on error", func(t *testing.T) {
		t.Parallel()
		s, add := newStore(t)
		evs := NewEvents(4)
		if err := add(t.Context(), evs...); err != nil {
			t.Fatal(err)
		}
		brokerDown := errors.New("broker down")
		n, err := s.Relay(t.Context(), 10, func(context.Context, []events.Event) ([]uuid.UUID, error) {
			return []uuid.UUID{evs[0].ID, evs[2].ID}, brokerDown
		})
		if !errors.Is(err, brokerDown) || n != 2 {
			t.Errorf("Relay = %d, %v; want 2 and the publish error", n, err)
		}
		pending(t, s, 2)
		n, err = s.Relay(t.Context(), 10, func(context.Context, []events.Event) ([]uuid.UUID, error) {
			return nil, brokerDown
		})
		if !errors.Is(err, brokerDown) || n != 0 {
			t.Errorf("Relay = %d, %v; want 0 and the publish error", n, err)
		}
		var r recorder
		if n, err := s.Relay(t.Context(), 10, publishAll(&r)); err != nil || n != 2 {
			t.Fatalf("Relay = %d, %v; want 2", n, err)
		}
		if got, want := IDs(r.batches[0]), []uuid.UUID{evs[1].ID, evs[3].ID}; !slices.Equal(got, want) {
			t.Errorf("the unconfirmed events came back as %v, want %v", got, want)
		}
		pending(t, s, 0)
	})

	t.Run("nothing is marked when the round's context ends", func(t *testing.T) {
		t.Parallel()
		s, add := newStore(t)
		if err := add(t.Context(), NewEvents(3)...); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		_, err := s.Relay(ctx, 10, func(_ context.Context, batch []events.Event) ([]uuid.UUID, error) {
			cancel() // the confirms came, but the transaction cannot commit any more
			return IDs(batch), nil
		})
		if err == nil {
			t.Error("Relay succeeded after its context ended")
		}
		pending(t, s, 3)
	})

	t.Run("concurrent relays skip each other's rows", func(t *testing.T) {
		t.Parallel()
		s, add := newStore(t)
		evs := NewEvents(4)
		if err := add(t.Context(), evs...); err != nil {
			t.Fatal(err)
		}
		inside, release := make(chan []events.Event), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			_, err := s.Relay(t.Context(), 2, func(_ context.Context, batch []events.Event) ([]uuid.UUID, error) {
				inside <- slices.Clone(batch)
				<-release
				return IDs(batch), nil
			})
			first <- err
		}()
		var held []events.Event
		select {
		case held = <-inside:
		case err := <-first:
			t.Fatalf("first relay ended early: %v", err)
		}
		var r recorder
		n, err := s.Relay(t.Context(), 10, publishAll(&r))
		close(release)
		if err != nil || n != 2 {
			t.Errorf("second relay = %d, %v; want the 2 rows the first does not hold", n, err)
		}
		if err := <-first; err != nil {
			t.Errorf("first relay: %v", err)
		}
		if len(r.batches) != 1 {
			t.Fatalf("second relay published %d batches", len(r.batches))
		}
		if got, want := IDs(r.batches[0]), IDs(evs[2:]); !slices.Equal(got, want) || !slices.Equal(IDs(held), IDs(evs[:2])) {
			t.Errorf("first relay held %v, second published %v; want %v then %v", IDs(held), got, IDs(evs[:2]), want)
		}
		pending(t, s, 0)
	})
}
