//go:build integration

package store_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/ent/orderconfirmation"
	"example.com/gopher-template/ecommerce/ent/processedmessage"
	"example.com/gopher-template/ecommerce/ent/stockalert"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/store"
)

func placeOrder(t *testing.T, s *store.Store) ordering.Order {
	t.Helper()
	p := mustProduct(t, s, 100, 5)
	o, _, err := s.Orders.Place(t.Context(), ordering.PlaceCommand{CustomerID: mustCustomer(t, s), Items: []ordering.Item{{ProductID: p.ID, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestConfirmOrder(t *testing.T) {
	t.Parallel()
	s, client := newStore(t)
	ctx := t.Context()
	o := placeOrder(t, s)
	e := events.OrderPlaced{OrderID: o.ID, CustomerID: o.CustomerID, TotalCents: o.TotalCents, Lines: 1}
	msg := uuid.New()
	steps := []struct {
		name        string
		message     uuid.UUID
		event       events.OrderPlaced
		wantApplied bool
		wantErr     error
	}{
		{"first delivery", msg, e, true, nil},
		{"redelivery", msg, e, false, nil},
		{"another message for the same order: no second confirmation", uuid.New(), e, true, nil},
		{"an unknown order", uuid.New(), events.OrderPlaced{OrderID: uuid.New()}, false, ordering.ErrNotFound},
	}
	for _, st := range steps {
		applied, err := s.Tasks.ConfirmOrder(ctx, st.message, st.event)
		if applied != st.wantApplied || !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Errorf("%s: applied %v err %v; want %v, %v", st.name, applied, err, st.wantApplied, st.wantErr)
		}
	}
	got, err := s.Orders.Get(ctx, o.ID)
	if err != nil || got.Status != ordering.StatusConfirmed {
		t.Errorf("order status = %q, %v; want confirmed", got.Status, err)
	}
	if n := client.OrderConfirmation.Query().Where(orderconfirmation.OrderID(o.ID), orderconfirmation.MessageID(msg)).CountX(ctx); n != 1 {
		t.Errorf("%d confirmations of the first message, want 1", n)
	}
	if n := client.OrderConfirmation.Query().CountX(ctx); n != 1 {
		t.Errorf("%d confirmations, want 1", n)
	}
	// The unknown order's message was not recorded: its transaction rolled back.
	if n := client.ProcessedMessage.Query().Where(processedmessage.Consumer(store.ConsumerOrderConfirmation)).CountX(ctx); n != 2 {
		t.Errorf("%d processed messages, want 2", n)
	}
}

func TestRecordStockAlert(t *testing.T) {
	t.Parallel()
	s, client := newStore(t)
	ctx := t.Context()
	e := events.StockLow{ProductID: uuid.New(), SKU: "MUG-1", Stock: 2, Threshold: 5}
	msg := uuid.New()
	for i, want := range []bool{true, false, false} {
		applied, err := s.Tasks.RecordStockAlert(ctx, msg, e)
		if err != nil || applied != want {
			t.Errorf("delivery %d: applied %v err %v; want %v", i+1, applied, err, want)
		}
	}
	alerts, err := client.StockAlert.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].MessageID != msg || alerts[0].ProductID != e.ProductID || alerts[0].Sku != e.SKU || alerts[0].Stock != 2 || alerts[0].Threshold != 5 {
		t.Errorf("alerts = %+v, want one for %+v", alerts, e)
	}
	// The same message ID seen by the other consumer is another effect.
	if _, err := s.Tasks.ConfirmOrder(ctx, msg, events.OrderPlaced{OrderID: placeOrder(t, s).ID}); err != nil {
		t.Errorf("ConfirmOrder with a message ID the stock-alert consumer saw: %v", err)
	}
}

// One message delivered many times at once has one effect.
func TestTasksConcurrentRedeliveries(t *testing.T) {
	t.Parallel()
	s, client := newStore(t)
	ctx := t.Context()
	o := placeOrder(t, s)
	const deliveries = 10
	tests := []struct {
		name    string
		deliver func(msg uuid.UUID) (bool, error)
		effects func() int
	}{
		{"confirm order", func(msg uuid.UUID) (bool, error) {
			return s.Tasks.ConfirmOrder(ctx, msg, events.OrderPlaced{OrderID: o.ID})
		}, func() int { return client.OrderConfirmation.Query().Where(orderconfirmation.OrderID(o.ID)).CountX(ctx) }},
		{"stock alert", func(msg uuid.UUID) (bool, error) {
			return s.Tasks.RecordStockAlert(ctx, msg, events.StockLow{ProductID: o.Lines[0].ProductID, SKU: "X", Stock: 1, Threshold: 2})
		}, func() int { return countAlerts(t, client, o.Lines[0].ProductID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := uuid.New()
			var applied atomic.Int32
			var wg sync.WaitGroup
			for range deliveries {
				wg.Go(func() {
					ok, err := tt.deliver(msg)
					if err != nil {
						t.Error(err)
					}
					if ok {
						applied.Add(1)
					}
				})
			}
			wg.Wait()
			if applied.Load() != 1 || tt.effects() != 1 {
				t.Errorf("%d deliveries applied, %d effects; want 1 and 1", applied.Load(), tt.effects())
			}
		})
	}
}

func countAlerts(t *testing.T, client *ent.Client, productID uuid.UUID) int {
	t.Helper()
	n, err := client.StockAlert.Query().Where(stockalert.ProductID(productID)).Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
