//go:build integration

package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/outbox"
	"example.com/gopher-template/ecommerce/internal/outbox/outboxtest"
)

// addEvents writes n events straight to the outbox and returns their IDs, oldest first.
func addEvents(t *testing.T, client *ent.Client, n int) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, 0, n)
	for range n {
		e, err := client.OutboxEvent.Create().
			SetType(events.TypeOrderPlaced).SetAggregateID(uuid.New()).SetPayload([]byte(`{}`)).
			Save(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

func eventIDs(batch []events.Event) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(batch))
	for _, e := range batch {
		out = append(out, e.ID)
	}
	return out
}

func TestOutboxRelay(t *testing.T) {
	t.Parallel()
	s, client := newStore(t)
	ctx := t.Context()
	ids := addEvents(t, client, 5)
	publishErr := errors.New("broker gone")
	steps := []struct {
		name        string
		limit       int
		publish     func(batch []events.Event) ([]uuid.UUID, error)
		wantBatch   []uuid.UUID
		wantMarked  int
		wantErr     error
		wantPending int
	}{
		{"a failed publish marks nothing", 2, func([]events.Event) ([]uuid.UUID, error) { return nil, publishErr },
			ids[:2], 0, publishErr, 5},
		{"the oldest first; only what publish confirms is marked", 2, func(b []events.Event) ([]uuid.UUID, error) { return eventIDs(b)[:1], nil },
			ids[:2], 1, nil, 4},
		{"a partly failed publish marks what it confirmed", 3, func(b []events.Event) ([]uuid.UUID, error) { return eventIDs(b)[1:], publishErr },
			ids[1:4], 2, publishErr, 2},
		{"IDs outside the batch are ignored", 10, func(b []events.Event) ([]uuid.UUID, error) { return append(eventIDs(b), uuid.New(), ids[0]), nil },
			[]uuid.UUID{ids[1], ids[4]}, 2, nil, 0},
		{"nothing pending: publish is not called", 10, func([]events.Event) ([]uuid.UUID, error) {
			t.Error("publish called with nothing pending")
			return nil, nil
		}, nil, 0, nil, 0},
	}
	for _, st := range steps {
		var batch []uuid.UUID
		marked, err := s.Outbox.Relay(ctx, st.limit, func(_ context.Context, b []events.Event) ([]uuid.UUID, error) {
			batch = eventIDs(b)
			for _, e := range b {
				if e.Type != events.TypeOrderPlaced || string(e.Payload) != "{}" || e.OccurredAt.IsZero() || e.AggregateID == uuid.Nil {
					t.Errorf("%s: event %+v is not the one written", st.name, e)
				}
			}
			return st.publish(b)
		})
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Errorf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
		if !slices.Equal(batch, st.wantBatch) || marked != st.wantMarked {
			t.Errorf("%s: batch %v marked %d; want %v and %d", st.name, batch, marked, st.wantBatch, st.wantMarked)
		}
		pending, err := s.Outbox.Pending(ctx)
		if err != nil || pending != st.wantPending {
			t.Errorf("%s: Pending = %d, %v; want %d", st.name, pending, err, st.wantPending)
		}
	}
}

// Relays side by side never hand out the same event, and together they publish every one.
func TestOutboxConcurrentRelaysShareNothing(t *testing.T) {
	t.Parallel()
	s, client := newStore(t)
	ctx := t.Context()
	const total, relays = 120, 4
	addEvents(t, client, total)
	var mu sync.Mutex
	seen := make(map[uuid.UUID]int)
	var wg sync.WaitGroup
	for range relays {
		wg.Go(func() {
			for {
				marked, err := s.Outbox.Relay(ctx, 7, func(_ context.Context, b []events.Event) ([]uuid.UUID, error) {
					mu.Lock()
					for _, e := range b {
						seen[e.ID]++
					}
					mu.Unlock()
					time.Sleep(5 * time.Millisecond) // hold the rows while the others look
					return eventIDs(b), nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				if marked == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != total {
		t.Errorf("%d events published, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s handed out %d times", id, n)
		}
	}
	if pending, err := s.Outbox.Pending(ctx); err != nil || pending != 0 {
		t.Errorf("Pending = %d, %v; want 0", pending, err)
	}
}

// An order's events are written with it: the relay finds them the moment Place returns.
func TestOutboxEventsOfAnOrder(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	p := mustProduct(t, s, 100, 2)
	o, _, err := s.Orders.Place(ctx, ordering.PlaceCommand{CustomerID: mustCustomer(t, s), Items: []ordering.Item{{ProductID: p.ID, Quantity: 2}}, LowStockThreshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []events.Event
	if _, err := s.Outbox.Relay(ctx, 10, func(_ context.Context, b []events.Event) ([]uuid.UUID, error) {
		got = b
		return eventIDs(b), nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Type != events.TypeOrderPlaced || got[0].AggregateID != o.ID || got[1].Type != events.TypeStockLow || got[1].AggregateID != p.ID {
		t.Fatalf("relayed %+v; want order.placed for %s then stock.low for %s", got, o.ID, p.ID)
	}
}

// The behaviour the relay relies on, as outboxtest states it for every outbox.Store.
func TestOutboxStoreContract(t *testing.T) {
	t.Parallel()
	outboxtest.StoreContract(t, func(t *testing.T) (outbox.Store, outboxtest.AddFunc) {
		s, client := newStore(t)
		return s.Outbox, func(ctx context.Context, evs ...events.Event) error {
			for _, e := range evs {
				err := client.OutboxEvent.Create().
					SetID(e.ID).SetType(e.Type).SetAggregateID(e.AggregateID).SetPayload(e.Payload).SetOccurredAt(e.OccurredAt).
					Exec(ctx)
				if err != nil {
					return err
				}
			}
			return nil
		}
	})
}
