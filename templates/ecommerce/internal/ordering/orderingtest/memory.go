// Package orderingtest is an in-memory ordering.Repository for tests of the layers above
// storage. It behaves as the PostgreSQL adapter must: the stock of every line is taken from the
// catalog fake or none is, idempotency keys are per customer and replay the first order (or
// conflict when the request hash differs), and the outbox events of an order are recorded with
// it.
package orderingtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/catalog/catalogtest"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/ordering"
)

type idempotencyKey struct {
	customer uuid.UUID
	key      string
}

type keyed struct {
	orderID     uuid.UUID
	requestHash string
}

// Memory is an in-memory ordering.Repository over a catalog fake. The zero value is not usable:
// call NewMemory.
type Memory struct {
	// mu is held for a whole Place, so that two requests with one idempotency key are
	// serialised as the adapter's advisory lock serialises them. The catalog's lock is taken
	// inside it, never the other way round.
	mu      sync.Mutex
	catalog *catalogtest.Memory
	orders  map[uuid.UUID]ordering.Order
	keys    map[idempotencyKey]keyed
	outbox  []events.Event
	now     func() time.Time
	last    time.Time
}

var _ ordering.Repository = (*Memory)(nil)

// NewMemory returns a repository without orders that takes stock from products. now is the clock
// (nil: time.Now); times are truncated to microseconds and strictly increase.
func NewMemory(products *catalogtest.Memory, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{catalog: products, orders: map[uuid.UUID]ordering.Order{}, keys: map[idempotencyKey]keyed{}, now: now}
}

// Place takes the stock and stores the order and its events, all or nothing.
func (m *Memory) Place(ctx context.Context, cmd ordering.PlaceCommand) (ordering.Order, bool, error) {
	if err := ctx.Err(); err != nil {
		return ordering.Order{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := idempotencyKey{cmd.CustomerID, cmd.IdempotencyKey}
	if cmd.IdempotencyKey != "" {
		if prev, ok := m.keys[k]; ok {
			if prev.requestHash != cmd.RequestHash {
				return ordering.Order{}, false, ordering.ErrIdempotencyConflict
			}
			return cloneOrder(m.orders[prev.orderID]), true, nil
		}
	}
	quantities := make(map[uuid.UUID]int, len(cmd.Items))
	for _, it := range cmd.Items {
		if _, dup := quantities[it.ProductID]; dup || it.Quantity < 1 {
			return ordering.Order{}, false, fmt.Errorf("orderingtest: invalid items %+v", cmd.Items)
		}
		quantities[it.ProductID] = it.Quantity
	}
	after, err := m.catalog.Take(quantities)
	if takeErr, ok := errors.AsType[*catalogtest.TakeError](err); ok {
		if takeErr.Unknown {
			return ordering.Order{}, false, &ordering.UnknownProductError{ProductID: takeErr.ProductID}
		}
		return ordering.Order{}, false, &ordering.InsufficientStockError{ProductID: takeErr.ProductID}
	}
	if err != nil {
		return ordering.Order{}, false, err
	}

	at := m.tick()
	o := ordering.Order{ID: uuid.New(), CustomerID: cmd.CustomerID, Status: ordering.StatusPlaced, CreatedAt: at}
	for _, it := range cmd.Items {
		price := after[it.ProductID].PriceCents
		o.Lines = append(o.Lines, ordering.Line{ProductID: it.ProductID, Quantity: it.Quantity, UnitPriceCents: price})
		o.TotalCents += price * int64(it.Quantity)
	}
	m.orders[o.ID] = o
	if cmd.IdempotencyKey != "" {
		m.keys[k] = keyed{orderID: o.ID, requestHash: cmd.RequestHash}
	}
	if err := m.record(events.TypeOrderPlaced, o.ID, events.OrderPlaced{OrderID: o.ID, CustomerID: o.CustomerID, TotalCents: o.TotalCents, Lines: len(o.Lines)}, at); err != nil {
		return ordering.Order{}, false, err
	}
	for _, it := range cmd.Items {
		p := after[it.ProductID]
		// Only the order that takes the stock across the threshold tells.
		if p.Stock < cmd.LowStockThreshold && p.Stock+it.Quantity >= cmd.LowStockThreshold {
			low := events.StockLow{ProductID: p.ID, SKU: p.SKU, Stock: p.Stock, Threshold: cmd.LowStockThreshold}
			if err := m.record(events.TypeStockLow, p.ID, low, at); err != nil {
				return ordering.Order{}, false, err
			}
		}
	}
	return cloneOrder(o), false, nil
}

// record appends an event to the outbox; m.mu must be held.
func (m *Memory) record(typ string, aggregate uuid.UUID, payload any, at time.Time) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("orderingtest: encode %s: %w", typ, err)
	}
	m.outbox = append(m.outbox, events.Event{ID: uuid.New(), Type: typ, AggregateID: aggregate, Payload: body, OccurredAt: at})
	return nil
}

// Get returns the order or ordering.ErrNotFound.
func (m *Memory) Get(ctx context.Context, id uuid.UUID) (ordering.Order, error) {
	if err := ctx.Err(); err != nil {
		return ordering.Order{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[id]
	if !ok {
		return ordering.Order{}, ordering.ErrNotFound
	}
	return cloneOrder(o), nil
}

// ListByCustomer returns up to limit of the customer's orders after the cursor, newest first
// (ties broken by ID, descending).
func (m *Memory) ListByCustomer(ctx context.Context, customerID uuid.UUID, after *ordering.Cursor, limit int) ([]ordering.Order, *ordering.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if limit < 1 {
		return nil, nil, fmt.Errorf("orderingtest: limit %d", limit)
	}
	m.mu.Lock()
	var mine []ordering.Order
	for _, o := range m.orders {
		if o.CustomerID == customerID && (after == nil || before(o, *after)) {
			mine = append(mine, cloneOrder(o))
		}
	}
	m.mu.Unlock()
	slices.SortFunc(mine, func(a, b ordering.Order) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(b.ID[:], a.ID[:])
	})
	if len(mine) <= limit {
		return mine, nil, nil
	}
	mine = mine[:limit]
	last := mine[limit-1]
	return mine, &ordering.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}, nil
}

// before reports whether o comes after the cursor in newest-first order.
func before(o ordering.Order, c ordering.Cursor) bool {
	if n := o.CreatedAt.Compare(c.CreatedAt); n != 0 {
		return n < 0
	}
	return bytes.Compare(o.ID[:], c.ID[:]) < 0
}

// Events returns the outbox: every event the placed orders wrote, oldest first.
func (m *Memory) Events() []events.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.outbox)
}

// tick returns the time of a write; m.mu must be held.
func (m *Memory) tick() time.Time {
	t := m.now().UTC().Truncate(time.Microsecond)
	if !t.After(m.last) {
		t = m.last.Add(time.Microsecond)
	}
	m.last = t
	return t
}

func cloneOrder(o ordering.Order) ordering.Order {
	o.Lines = slices.Clone(o.Lines)
	return o
}
