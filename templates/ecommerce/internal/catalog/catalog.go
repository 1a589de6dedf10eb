// Package catalog is the shop's products: what they are, how they are listed, and the port the
// storage adapter implements. It imports neither Echo nor Ent.
package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Product is one thing the shop sells, with the stock on hand.
type Product struct {
	ID          uuid.UUID
	SKU         string
	Name        string
	Description string
	PriceCents  int64
	Stock       int
	// Version grows by one on every change; it is the product's ETag.
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewProduct is what an admin gives to create a product.
type NewProduct struct {
	SKU         string
	Name        string
	Description string
	PriceCents  int64
	Stock       int
}

// Change replaces a product's mutable fields (PUT semantics); the SKU never changes.
type Change struct {
	Name        string
	Description string
	PriceCents  int64
	Stock       int
}

// SortField is what a list is ordered by; ties are broken by ID.
type SortField string

// The sort fields a list accepts.
const (
	SortCreated SortField = "created_at"
	SortPrice   SortField = "price"
	SortName    SortField = "name"
)

// Cursor is where a page ends: the sort key of its last item and that item's ID. Only the field
// of the list's Sort is meaningful.
type Cursor struct {
	Sort       SortField
	Desc       bool
	CreatedAt  time.Time
	PriceCents int64
	Name       string
	ID         uuid.UUID
}

// ListQuery selects and orders a page of products.
type ListQuery struct {
	// After is the previous page's Next; nil starts at the beginning.
	After *Cursor
	// Limit is the page size, already bounded by the caller.
	Limit int
	Sort  SortField
	Desc  bool
	// Filters; zero values do not filter.
	MinPriceCents *int64
	MaxPriceCents *int64
	// Search matches the name or SKU, case-insensitively, as a substring.
	Search  string
	InStock bool
}

// Page is one page of a list; Next is nil on the last page.
type Page struct {
	Items []Product
	Next  *Cursor
}

// Errors the repository returns, wrapped or not.
var (
	ErrNotFound = errors.New("product not found")
	ErrSKUTaken = errors.New("a product with this SKU already exists")
	// ErrVersionMismatch means the caller's Precondition (If-Match) does not hold: the product's
	// version or stock is not the one the caller read.
	ErrVersionMismatch = errors.New("product was changed since it was read")
	// ErrInUse means orders refer to the product, so it cannot be deleted.
	ErrInUse = errors.New("product is in orders and cannot be deleted")
)

// Precondition is the state of a product a write expects, as its ETag tells it: the version (an
// admin's changes) and the stock (which orders take without a new version). The zero value
// (Version 0) expects nothing: the write happens whatever the product's state. Otherwise both
// must hold when the write happens, or it is ErrVersionMismatch.
type Precondition struct {
	Version int
	Stock   int
}

// Unconditional reports whether p expects nothing.
func (p Precondition) Unconditional() bool { return p.Version == 0 }

// Holds reports whether the product is in the state p expects.
func (p Precondition) Holds(version, stock int) bool {
	return p.Unconditional() || (p.Version == version && p.Stock == stock)
}

// Repository stores products. Update and Delete check their Precondition in the transaction
// that writes, with the product's rows locked, so that nothing (an order taking stock included)
// comes between the check and the write.
type Repository interface {
	Create(ctx context.Context, p NewProduct) (Product, error)
	Get(ctx context.Context, id uuid.UUID) (Product, error)
	Update(ctx context.Context, id uuid.UUID, pre Precondition, c Change) (Product, error)
	Delete(ctx context.Context, id uuid.UUID, pre Precondition) error
	List(ctx context.Context, q ListQuery) (Page, error)
}
