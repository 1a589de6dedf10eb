package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/tasks"
	"example.com/gopher-template/ecommerce/internal/tasks/taskstest"
)

func event(t *testing.T, typ string, payload any) events.Event {
	t.Helper()
	body, ok := payload.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	return events.Event{ID: uuid.New(), Type: typ, AggregateID: uuid.New(), Payload: body, OccurredAt: time.Now()}
}

func TestHandleRoutesByType(t *testing.T) {
	t.Parallel()
	order := events.OrderPlaced{OrderID: uuid.New(), CustomerID: uuid.New(), TotalCents: 1999, Lines: 2}
	low := events.StockLow{ProductID: uuid.New(), SKU: "SKU-1", Stock: 2, Threshold: 5}
	store := taskstest.NewMemory()
	h := tasks.NewHandler(store, nil)

	placed := event(t, events.TypeOrderPlaced, order)
	if err := h.Handle(t.Context(), placed); err != nil {
		t.Fatal(err)
	}
	if id, ok := store.Confirmation(order.OrderID); !ok || id != placed.ID {
		t.Errorf("confirmation of the order = %v, %v; want message %v", id, ok, placed.ID)
	}

	alert := event(t, events.TypeStockLow, low)
	if err := h.Handle(t.Context(), alert); err != nil {
		t.Fatal(err)
	}
	if got := store.StockAlerts(); len(got) != 1 || got[0].MessageID != alert.ID || got[0].StockLow != low {
		t.Errorf("alerts = %+v", got)
	}

	// Delivered again: no error, no second effect.
	for _, e := range []events.Event{placed, alert} {
		if err := h.Handle(t.Context(), e); err != nil {
			t.Errorf("second delivery of %s: %v", e.Type, err)
		}
	}
	for id, n := range store.Applied() {
		if n != 1 {
			t.Errorf("message %v applied %d times", id, n)
		}
	}
	if len(store.Applied()) != 2 || store.Calls() != 4 {
		t.Errorf("applied %d messages in %d calls, want 2 in 4", len(store.Applied()), store.Calls())
	}
}

func TestHandleRejectsPermanently(t *testing.T) {
	t.Parallel()
	validOrder := events.OrderPlaced{OrderID: uuid.New(), CustomerID: uuid.New(), TotalCents: 100, Lines: 1}
	validLow := events.StockLow{ProductID: uuid.New(), SKU: "S", Stock: 0, Threshold: 1}
	with := func(f func(*events.OrderPlaced)) events.OrderPlaced { o := validOrder; f(&o); return o }
	withLow := func(f func(*events.StockLow)) events.StockLow { s := validLow; f(&s); return s }
	tests := []struct {
		name    string
		typ     string
		payload any
		want    error
	}{
		{"unknown type", "order.shipped", validOrder, tasks.ErrUnknownType},
		{"no type", "", validOrder, tasks.ErrUnknownType},
		{"not JSON", events.TypeOrderPlaced, []byte("{"), tasks.ErrInvalidPayload},
		{"empty payload", events.TypeStockLow, []byte(""), tasks.ErrInvalidPayload},
		{"JSON null", events.TypeOrderPlaced, []byte("null"), tasks.ErrInvalidPayload},
		{"wrong JSON type", events.TypeOrderPlaced, []byte(`{"total_cents":"12"}`), tasks.ErrInvalidPayload},
		{"trailing data", events.TypeOrderPlaced, []byte(`{} {}`), tasks.ErrInvalidPayload},
		{"no order id", events.TypeOrderPlaced, with(func(o *events.OrderPlaced) { o.OrderID = uuid.Nil }), tasks.ErrInvalidPayload},
		{"no customer id", events.TypeOrderPlaced, with(func(o *events.OrderPlaced) { o.CustomerID = uuid.Nil }), tasks.ErrInvalidPayload},
		{"negative total", events.TypeOrderPlaced, with(func(o *events.OrderPlaced) { o.TotalCents = -1 }), tasks.ErrInvalidPayload},
		{"no lines", events.TypeOrderPlaced, with(func(o *events.OrderPlaced) { o.Lines = 0 }), tasks.ErrInvalidPayload},
		{"no product id", events.TypeStockLow, withLow(func(s *events.StockLow) { s.ProductID = uuid.Nil }), tasks.ErrInvalidPayload},
		{"no sku", events.TypeStockLow, withLow(func(s *events.StockLow) { s.SKU = "" }), tasks.ErrInvalidPayload},
		{"negative stock", events.TypeStockLow, withLow(func(s *events.StockLow) { s.Stock = -1 }), tasks.ErrInvalidPayload},
		{"negative threshold", events.TypeStockLow, withLow(func(s *events.StockLow) { s.Threshold = -1 }), tasks.ErrInvalidPayload},
		{"an order's payload as a stock alert", events.TypeStockLow, validOrder, tasks.ErrInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := taskstest.NewMemory()
			err := tasks.NewHandler(store, nil).Handle(t.Context(), event(t, tt.typ, tt.payload))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Handle = %v, want %v", err, tt.want)
			}
			var p interface{ Permanent() bool }
			if !errors.As(err, &p) || !p.Permanent() {
				t.Errorf("Handle = %v, not permanent", err)
			}
			if store.Calls() != 0 {
				t.Errorf("the store was called %d times", store.Calls())
			}
		})
	}
}

// failingStore fails every call, as a database that is down does.
type failingStore struct{ err error }

func (s failingStore) ConfirmOrder(context.Context, uuid.UUID, events.OrderPlaced) (bool, error) {
	return false, s.err
}

func (s failingStore) RecordStockAlert(context.Context, uuid.UUID, events.StockLow) (bool, error) {
	return false, s.err
}

func TestHandleStoreErrorsAreRetried(t *testing.T) {
	t.Parallel()
	down := errors.New("connection refused")
	h := tasks.NewHandler(failingStore{down}, nil)
	tests := []events.Event{
		event(t, events.TypeOrderPlaced, events.OrderPlaced{OrderID: uuid.New(), CustomerID: uuid.New(), Lines: 1}),
		event(t, events.TypeStockLow, events.StockLow{ProductID: uuid.New(), SKU: "S"}),
	}
	for _, e := range tests {
		t.Run(e.Type, func(t *testing.T) {
			t.Parallel()
			err := h.Handle(t.Context(), e)
			if !errors.Is(err, down) {
				t.Fatalf("Handle = %v, want the store's error", err)
			}
			var p interface{ Permanent() bool }
			if errors.As(err, &p) {
				t.Errorf("a store error is permanent: %v", err)
			}
		})
	}
}

func TestHandleAllowsUnknownFields(t *testing.T) {
	t.Parallel()
	store := taskstest.NewMemory()
	body := []byte(`{"order_id":"` + uuid.NewString() + `","customer_id":"` + uuid.NewString() + `","total_cents":5,"lines":1,"currency":"EUR"}`)
	if err := tasks.NewHandler(store, nil).Handle(t.Context(), event(t, events.TypeOrderPlaced, body)); err != nil {
		t.Errorf("a field added by a newer producer: %v", err)
	}
}
