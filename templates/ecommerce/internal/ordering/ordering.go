// Package ordering is how customers buy: an order is placed in one transaction that takes the
// stock (never below zero), records the order and writes its events to the outbox. It declares
// the port the storage adapter implements and imports neither Echo nor Ent.
package ordering

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Status is where an order is in its life.
type Status string

// The statuses: placed when the transaction commits, confirmed when the worker has recorded the
// confirmation.
const (
	StatusPlaced    Status = "placed"
	StatusConfirmed Status = "confirmed"
)

// Item is one line of a request to buy.
type Item struct {
	ProductID uuid.UUID
	Quantity  int
}

// Line is one line of an order, at the price it was bought for.
type Line struct {
	ProductID      uuid.UUID
	Quantity       int
	UnitPriceCents int64
}

// Order is a placed order.
type Order struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Status     Status
	Lines      []Line
	TotalCents int64
	CreatedAt  time.Time
}

// PlaceCommand is one attempt to place an order.
type PlaceCommand struct {
	CustomerID uuid.UUID
	// Items have distinct products and positive quantities (the service checks).
	Items []Item
	// IdempotencyKey, when not empty, makes the placement idempotent per customer: the same key
	// and the same RequestHash give back the first order; the same key with another hash is
	// ErrIdempotencyConflict.
	IdempotencyKey string
	RequestHash    string
	// LowStockThreshold: a line that leaves its product's stock below it also writes a
	// stock.low event.
	LowStockThreshold int
}

// Cursor is where a page of a customer's orders ends (newest first).
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// Errors the repository returns, wrapped or not.
var (
	ErrNotFound            = errors.New("order not found")
	ErrIdempotencyConflict = errors.New("this Idempotency-Key was used with a different request")
)

// InsufficientStockError means a line asked for more than the product has; nothing was taken.
type InsufficientStockError struct{ ProductID uuid.UUID }

func (e *InsufficientStockError) Error() string {
	return fmt.Sprintf("not enough stock of product %s", e.ProductID)
}

// UnknownProductError means a line names a product that does not exist.
type UnknownProductError struct{ ProductID uuid.UUID }

func (e *UnknownProductError) Error() string {
	return fmt.Sprintf("product %s does not exist", e.ProductID)
}

// Repository stores orders.
type Repository interface {
	// Place takes the stock, stores the order and its outbox events in one transaction. replayed
	// is true when an earlier order with the same idempotency key and hash was returned instead.
	Place(ctx context.Context, cmd PlaceCommand) (order Order, replayed bool, err error)
	// Get returns the order with this ID.
	Get(ctx context.Context, id uuid.UUID) (Order, error)
	// ListByCustomer returns up to limit of a customer's orders, newest first, after the cursor.
	ListByCustomer(ctx context.Context, customerID uuid.UUID, after *Cursor, limit int) ([]Order, *Cursor, error)
}
