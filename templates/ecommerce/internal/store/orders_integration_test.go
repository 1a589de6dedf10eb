//go:build integration

package store_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/ent/order"
	"example.com/gopher-template/ecommerce/ent/outboxevent"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/pgdb"
)

func TestPlaceOrder(t *testing.T) {
	t.Parallel()
	s, client := newStore(t)
	ctx := t.Context()
	buyer := mustCustomer(t, s)
	mug, tee := mustProduct(t, s, 1200, 10), mustProduct(t, s, 2500, 3)

	o, replayed, err := s.Orders.Place(ctx, ordering.PlaceCommand{
		CustomerID:        buyer,
		Items:             []ordering.Item{{ProductID: tee.ID, Quantity: 2}, {ProductID: mug.ID, Quantity: 1}},
		LowStockThreshold: 3,
	})
	if err != nil || replayed {
		t.Fatalf("Place = %v, replayed %v", err, replayed)
	}
	wantLines := []ordering.Line{{ProductID: tee.ID, Quantity: 2, UnitPriceCents: 2500}, {ProductID: mug.ID, Quantity: 1, UnitPriceCents: 1200}}
	if o.ID == uuid.Nil || o.CustomerID != buyer || o.Status != ordering.StatusPlaced || o.TotalCents != 6200 || !slices.Equal(o.Lines, wantLines) {
		t.Fatalf("Place = %+v; want total 6200 and lines %+v in the order given", o, wantLines)
	}
	got, err := s.Orders.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != o.ID || got.TotalCents != o.TotalCents || !got.CreatedAt.Equal(o.CreatedAt) || !slices.Equal(got.Lines, o.Lines) {
		t.Fatalf("Get = %+v, want %+v", got, o)
	}
	if a, b := stockOf(t, s, tee.ID), stockOf(t, s, mug.ID); a != 1 || b != 9 {
		t.Fatalf("stock after the order: tee %d mug %d, want 1 and 9", a, b)
	}

	// The order keeps the price it was bought at.
	if _, err := s.Catalog.Update(ctx, tee.ID, catalog.Precondition{}, catalog.Change{Name: "Tee", PriceCents: 9999, Stock: 1}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Orders.Get(ctx, o.ID); got.Lines[0].UnitPriceCents != 2500 {
		t.Errorf("line price after a price change = %d, want 2500", got.Lines[0].UnitPriceCents)
	}

	// The events: order.placed, and stock.low for the tee only (3 → 1 crossed 3; the mug stayed
	// above it).
	evs := outboxEvents(t, client)
	if len(evs) != 2 || evs[0].Type != events.TypeOrderPlaced || evs[1].Type != events.TypeStockLow {
		t.Fatalf("outbox = %v, want order.placed then stock.low", eventTypes(evs))
	}
	var placed events.OrderPlaced
	if err := json.Unmarshal(evs[0].Payload, &placed); err != nil || placed != (events.OrderPlaced{OrderID: o.ID, CustomerID: buyer, TotalCents: 6200, Lines: 2}) || evs[0].AggregateID != o.ID {
		t.Errorf("order.placed = %s (%v), aggregate %s", evs[0].Payload, err, evs[0].AggregateID)
	}
	var low events.StockLow
	if err := json.Unmarshal(evs[1].Payload, &low); err != nil || low != (events.StockLow{ProductID: tee.ID, SKU: tee.SKU, Stock: 1, Threshold: 3}) || evs[1].AggregateID != tee.ID {
		t.Errorf("stock.low = %s (%v), aggregate %s", evs[1].Payload, err, evs[1].AggregateID)
	}

	// An order that leaves the tee below the threshold again does not cross it: no stock.low.
	if _, _, err := s.Orders.Place(ctx, ordering.PlaceCommand{CustomerID: buyer, Items: []ordering.Item{{ProductID: tee.ID, Quantity: 1}}, LowStockThreshold: 3}); err != nil {
		t.Fatal(err)
	}
	if evs := outboxEvents(t, client); len(evs) != 3 || evs[2].Type != events.TypeOrderPlaced {
		t.Errorf("outbox = %v, want a third event, order.placed only", eventTypes(evs))
	}
}

func TestPlaceOrderRefusedTakesNothing(t *testing.T) {
	t.Parallel()
	s, client := newStore(t)
	buyer := mustCustomer(t, s)
	a, b := mustProduct(t, s, 100, 5), mustProduct(t, s, 100, 1)
	missing := uuid.New()
	tests := []struct {
		name  string
		items []ordering.Item
		check func(error) bool
	}{
		{"one line short", []ordering.Item{{ProductID: a.ID, Quantity: 2}, {ProductID: b.ID, Quantity: 2}}, func(err error) bool {
			var e *ordering.InsufficientStockError
			return errors.As(err, &e) && e.ProductID == b.ID
		}},
		{"one line unknown", []ordering.Item{{ProductID: a.ID, Quantity: 2}, {ProductID: missing, Quantity: 1}}, func(err error) bool {
			var e *ordering.UnknownProductError
			return errors.As(err, &e) && e.ProductID == missing
		}},
		{"more than there ever was", []ordering.Item{{ProductID: a.ID, Quantity: 6}}, func(err error) bool {
			var e *ordering.InsufficientStockError
			return errors.As(err, &e) && e.ProductID == a.ID
		}},
	}
	for _, tt := range tests {
		_, _, err := s.Orders.Place(t.Context(), ordering.PlaceCommand{CustomerID: buyer, Items: tt.items, LowStockThreshold: 10})
		if !tt.check(err) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	if sa, sb := stockOf(t, s, a.ID), stockOf(t, s, b.ID); sa != 5 || sb != 1 {
		t.Errorf("stock = %d, %d after refused orders, want 5, 1", sa, sb)
	}
	if n := client.Order.Query().CountX(t.Context()); n != 0 {
		t.Errorf("%d orders stored, want 0", n)
	}
	if evs := outboxEvents(t, client); len(evs) != 0 {
		t.Errorf("outbox = %v, want empty", eventTypes(evs))
	}
}

// The last unit, fifty buyers at once: one order, forty-nine refusals, stock zero.
func TestLastUnitFiftyBuyers(t *testing.T) {
	t.Parallel()
	const buyers = 50
	s, client, dbURL := newStoreAt(t, buyers)
	ctx := t.Context()
	p := mustProduct(t, s, 999, 1)
	customers := make([]uuid.UUID, buyers)
	for i := range customers {
		customers[i] = mustCustomer(t, s)
	}
	var placed, short atomic.Int32
	release := blockStock(t, dbURL, p.ID)
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			_, _, err := s.Orders.Place(ctx, ordering.PlaceCommand{CustomerID: customers[i], Items: []ordering.Item{{ProductID: p.ID, Quantity: 1}}})
			var insufficient *ordering.InsufficientStockError
			switch {
			case err == nil:
				placed.Add(1)
			case errors.As(err, &insufficient):
				short.Add(1)
			default:
				t.Errorf("Place: %v", err)
			}
		})
	}
	release(buyers) // all fifty wait on the stock row, then go
	wg.Wait()
	if placed.Load() != 1 || short.Load() != buyers-1 {
		t.Fatalf("%d placed, %d refused for lack of stock; want 1 and %d", placed.Load(), short.Load(), buyers-1)
	}
	if n := client.Order.Query().CountX(ctx); n != 1 {
		t.Fatalf("%d orders stored, want 1", n)
	}
	if got := stockOf(t, s, p.ID); got != 0 {
		t.Fatalf("stock = %d, want 0", got)
	}
	// The database itself refuses a negative stock.
	_, err := client.ExecContext(ctx, "UPDATE stock SET quantity = -1 WHERE product_id = $1", p.ID)
	if !pgdb.IsCode(err, pgdb.CheckViolation) {
		t.Fatalf("setting the stock to -1: err = %v, want a check violation", err)
	}
}

func TestPlaceOrderIdempotency(t *testing.T) {
	t.Parallel()
	s, client := newStore(t)
	ctx := t.Context()
	buyer, other := mustCustomer(t, s), mustCustomer(t, s)
	p := mustProduct(t, s, 100, 1000)
	cmd := func(customer uuid.UUID, key, hash string, qty int) ordering.PlaceCommand {
		return ordering.PlaceCommand{CustomerID: customer, Items: []ordering.Item{{ProductID: p.ID, Quantity: qty}}, IdempotencyKey: key, RequestHash: hash}
	}
	first, replayed, err := s.Orders.Place(ctx, cmd(buyer, "key-1", "hash-a", 2))
	if err != nil || replayed {
		t.Fatalf("first Place = %v, replayed %v", err, replayed)
	}
	tests := []struct {
		name         string
		cmd          ordering.PlaceCommand
		wantErr      error
		wantReplayed bool
		wantSameID   bool
	}{
		{"same key, same request", cmd(buyer, "key-1", "hash-a", 2), nil, true, true},
		{"same key, another request", cmd(buyer, "key-1", "hash-b", 3), ordering.ErrIdempotencyConflict, false, false},
		{"same key, another customer", cmd(other, "key-1", "hash-a", 2), nil, false, false},
		{"another key", cmd(buyer, "key-2", "hash-a", 2), nil, false, false},
		{"no key twice, first", cmd(buyer, "", "", 1), nil, false, false},
		{"no key twice, second", cmd(buyer, "", "", 1), nil, false, false},
	}
	for _, tt := range tests {
		o, replayed, err := s.Orders.Place(ctx, tt.cmd)
		switch {
		case tt.wantErr != nil:
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case replayed != tt.wantReplayed || (o.ID == first.ID) != tt.wantSameID:
			t.Errorf("%s: order %s replayed %v; want replayed %v, same order as the first %v", tt.name, o.ID, replayed, tt.wantReplayed, tt.wantSameID)
		case tt.wantSameID && (o.TotalCents != first.TotalCents || !slices.Equal(o.Lines, first.Lines) || !o.CreatedAt.Equal(first.CreatedAt)):
			t.Errorf("%s: replayed %+v, want %+v", tt.name, o, first)
		}
	}
	// 2 (first) + 2 (other customer) + 2 (key-2) + 1 + 1: the replay and the conflict took nothing.
	if got := stockOf(t, s, p.ID); got != 1000-8 {
		t.Errorf("stock = %d, want %d", got, 1000-8)
	}
	if n := client.Order.Query().CountX(ctx); n != 5 {
		t.Errorf("%d orders, want 5", n)
	}
}

// Many requests with one key at once: one order, the same one for all, stock taken once; the
// last unit is for sale, so a request that did not wait for the first to commit would find no
// stock instead of the order.
func TestPlaceOrderConcurrentSameKey(t *testing.T) {
	t.Parallel()
	const requests = 20
	s, client, dbURL := newStoreAt(t, requests)
	ctx := t.Context()
	buyer := mustCustomer(t, s)
	p := mustProduct(t, s, 100, 1)
	orders := make([]ordering.Order, requests)
	replays := make([]bool, requests)
	release := blockStock(t, dbURL, p.ID)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			var err error
			orders[i], replays[i], err = s.Orders.Place(ctx, ordering.PlaceCommand{
				CustomerID: buyer, Items: []ordering.Item{{ProductID: p.ID, Quantity: 1}}, IdempotencyKey: "retry-me", RequestHash: "h",
			})
			if err != nil {
				t.Errorf("Place: %v", err)
			}
		})
	}
	// One request waits on the stock row, the others on it (the key's lock, or the row too).
	release(requests)
	wg.Wait()
	fresh := 0
	for i := range requests {
		if !replays[i] {
			fresh++
		}
		if orders[i].ID != orders[0].ID {
			t.Errorf("request %d got order %s, request 0 got %s", i, orders[i].ID, orders[0].ID)
		}
	}
	if fresh != 1 {
		t.Errorf("%d requests placed an order, want 1 (the others replayed it)", fresh)
	}
	if n := client.Order.Query().Where(order.CustomerID(buyer)).CountX(ctx); n != 1 {
		t.Errorf("%d orders stored, want 1", n)
	}
	if got := stockOf(t, s, p.ID); got != 0 {
		t.Errorf("stock = %d, want 0", got)
	}
}

// Orders of several lines over the same products, in every order, at once: the lines are
// locked in product order, so none deadlocks, and the stock adds up.
func TestConcurrentMultiLineOrders(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	const (
		workers         = 8
		ordersPerWorker = 15
		initial         = 120
	)
	products := make([]catalog.Product, 5)
	for i := range products {
		products[i] = mustProduct(t, s, 100, initial)
	}
	buyer := mustCustomer(t, s)
	var mu sync.Mutex
	taken := make(map[uuid.UUID]int)
	var refused atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range ordersPerWorker {
				perm := rng.Perm(len(products))[:3]
				items := make([]ordering.Item, 0, len(perm))
				for _, i := range perm {
					items = append(items, ordering.Item{ProductID: products[i].ID, Quantity: 1 + rng.IntN(3)})
				}
				_, _, err := s.Orders.Place(ctx, ordering.PlaceCommand{CustomerID: buyer, Items: items})
				var short *ordering.InsufficientStockError
				switch {
				case errors.As(err, &short):
					refused.Add(1)
				case err != nil:
					t.Errorf("Place: %v", err) // a deadlock would surface here (SQLSTATE 40P01)
				default:
					mu.Lock()
					for _, it := range items {
						taken[it.ProductID] += it.Quantity
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, p := range products {
		if got, want := stockOf(t, s, p.ID), initial-taken[p.ID]; got != want || got < 0 {
			t.Errorf("product %s: stock %d, want %d", p.ID, got, want)
		}
	}
	orders, _, err := s.Orders.ListByCustomer(ctx, buyer, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(orders)+int(refused.Load()) != workers*ordersPerWorker {
		t.Errorf("%d orders + %d refused, want %d attempts", len(orders), refused.Load(), workers*ordersPerWorker)
	}
	t.Logf("%d orders placed, %d refused for lack of stock", len(orders), refused.Load())
}

func TestOrdersGetAndList(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	buyer, other := mustCustomer(t, s), mustCustomer(t, s)
	p := mustProduct(t, s, 100, 100)
	var placed []ordering.Order
	for range 7 {
		o, _, err := s.Orders.Place(ctx, ordering.PlaceCommand{CustomerID: buyer, Items: []ordering.Item{{ProductID: p.ID, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		placed = append(placed, o)
	}
	if _, _, err := s.Orders.Place(ctx, ordering.PlaceCommand{CustomerID: other, Items: []ordering.Item{{ProductID: p.ID, Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Orders.Get(ctx, uuid.New()); !errors.Is(err, ordering.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
	slices.Reverse(placed) // newest first
	for _, limit := range []int{1, 3, 7, 20} {
		var got []uuid.UUID
		var after *ordering.Cursor
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("the cursor does not advance")
			}
			page, next, err := s.Orders.ListByCustomer(ctx, buyer, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit {
				t.Fatalf("page of %d, limit %d", len(page), limit)
			}
			for _, o := range page {
				got = append(got, o.ID)
				if len(o.Lines) != 1 {
					t.Errorf("order %s listed with %d lines, want 1", o.ID, len(o.Lines))
				}
			}
			if next == nil {
				break
			}
			after = next
		}
		want := make([]uuid.UUID, 0, len(placed))
		for _, o := range placed {
			want = append(want, o.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: listed %v, want %v", limit, got, want)
		}
	}
}

func outboxEvents(t *testing.T, client *ent.Client) []*ent.OutboxEvent {
	t.Helper()
	evs, err := client.OutboxEvent.Query().Order(outboxevent.BySeq()).All(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func eventTypes(evs []*ent.OutboxEvent) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}
