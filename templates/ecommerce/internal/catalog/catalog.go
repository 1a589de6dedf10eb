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
	// ErrVersionMismatch means the caller's expected version (If-Match) is not the current one.
	ErrVersionMismatch = errors.New("product was changed since it was read")
	// ErrInUse means orders refer to the product, so it cannot be deleted.
	ErrInUse = errors.New("product is in orders and cannot be deleted")
)

// Repository stores products. expectedVersion 0 means "whatever the current version is".
type Repository interface {
	Create(ctx context.Context, p NewProduct) (Product, error)
	Get(ctx context.Context, id uuid.UUID) (Product, error)
	Update(ctx context.Context, id uuid.UUID, expectedVersion int, c Change) (Product, error)
	Delete(ctx context.Context, id uuid.UUID, expectedVersion int) error
	List(ctx context.Context, q ListQuery) (Page, error)
}
