// Package catalogtest is an in-memory catalog.Repository for tests of the layers above storage.
// It behaves as the PostgreSQL adapter must: versions grow by one on every change, SKUs are
// unique, preconditions (version and stock) are checked, lists are keyset-paged with ties broken
// by ID, the stock never goes below zero, and text PostgreSQL refuses (a NUL byte, invalid UTF-8)
// is an error, as the store's is.
package catalogtest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/catalog"
)

// Memory is an in-memory catalog.Repository. The zero value is not usable: call NewMemory.
type Memory struct {
	mu       sync.Mutex
	products map[uuid.UUID]catalog.Product
	skus     map[string]uuid.UUID
	// ordered holds the products orders refer to (Take took some of their stock): they cannot
	// be deleted, as the order lines' foreign key forbids in the database.
	ordered map[uuid.UUID]bool
	now     func() time.Time
	last    time.Time
}

var _ catalog.Repository = (*Memory)(nil)

// NewMemory returns an empty catalog. now is the clock (nil: time.Now); times are truncated to
// microseconds, as PostgreSQL keeps them, and strictly increase from one write to the next.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{products: map[uuid.UUID]catalog.Product{}, skus: map[string]uuid.UUID{}, ordered: map[uuid.UUID]bool{}, now: now}
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

// Create stores p with version 1.
func (m *Memory) Create(ctx context.Context, p catalog.NewProduct) (catalog.Product, error) {
	if err := ctx.Err(); err != nil {
		return catalog.Product{}, err
	}
	if err := storable(p.SKU, p.Name, p.Description); err != nil {
		return catalog.Product{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.skus[p.SKU]; taken {
		return catalog.Product{}, catalog.ErrSKUTaken
	}
	id, err := uuid.NewV7()
	if err != nil {
		return catalog.Product{}, err
	}
	now := m.tick()
	stored := catalog.Product{ID: id, SKU: p.SKU, Name: p.Name, Description: p.Description, PriceCents: p.PriceCents,
		Stock: p.Stock, Version: 1, CreatedAt: now, UpdatedAt: now}
	m.products[id] = stored
	m.skus[p.SKU] = id
	return stored, nil
}

// Get returns the product or catalog.ErrNotFound.
func (m *Memory) Get(ctx context.Context, id uuid.UUID) (catalog.Product, error) {
	if err := ctx.Err(); err != nil {
		return catalog.Product{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.products[id]
	if !ok {
		return catalog.Product{}, catalog.ErrNotFound
	}
	return p, nil
}

// Update replaces the mutable fields if pre holds.
func (m *Memory) Update(ctx context.Context, id uuid.UUID, pre catalog.Precondition, c catalog.Change) (catalog.Product, error) {
	if err := ctx.Err(); err != nil {
		return catalog.Product{}, err
	}
	if err := storable(c.Name, c.Description); err != nil {
		return catalog.Product{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.products[id]
	switch {
	case !ok:
		return catalog.Product{}, catalog.ErrNotFound
	case !pre.Holds(p.Version, p.Stock):
		return catalog.Product{}, catalog.ErrVersionMismatch
	}
	p.Name, p.Description, p.PriceCents, p.Stock = c.Name, c.Description, c.PriceCents, c.Stock
	p.Version++
	p.UpdatedAt = m.tick()
	m.products[id] = p
	return p, nil
}

// Delete removes the product if pre holds and no order refers to it (catalog.ErrInUse).
func (m *Memory) Delete(ctx context.Context, id uuid.UUID, pre catalog.Precondition) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.products[id]
	switch {
	case !ok:
		return catalog.ErrNotFound
	case !pre.Holds(p.Version, p.Stock):
		return catalog.ErrVersionMismatch
	case m.ordered[id]:
		return catalog.ErrInUse
	}
	delete(m.products, id)
	delete(m.skus, p.SKU)
	return nil
}

// List returns the page of products after q.After in q's order, filtered.
func (m *Memory) List(ctx context.Context, q catalog.ListQuery) (catalog.Page, error) {
	if err := ctx.Err(); err != nil {
		return catalog.Page{}, err
	}
	if q.Limit < 1 {
		return catalog.Page{}, fmt.Errorf("catalogtest: limit %d", q.Limit)
	}
	if err := storable(strings.ToLower(q.Search)); err != nil { // the store sends it lower-cased
		return catalog.Page{}, err
	}
	m.mu.Lock()
	items := make([]catalog.Product, 0, len(m.products))
	for _, p := range m.products {
		if matches(p, q) {
			items = append(items, p)
		}
	}
	m.mu.Unlock()
	slices.SortFunc(items, func(a, b catalog.Product) int { return compare(a, b, q.Sort, q.Desc) })
	if q.After != nil {
		after := *q.After
		start, _ := slices.BinarySearchFunc(items, after, func(p catalog.Product, c catalog.Cursor) int {
			if compareToCursor(p, c, q.Sort, q.Desc) <= 0 {
				return -1
			}
			return 1
		})
		items = items[start:]
	}
	page := catalog.Page{Items: items}
	if len(items) > q.Limit {
		page.Items = items[:q.Limit]
		last := page.Items[q.Limit-1]
		page.Next = &catalog.Cursor{Sort: q.Sort, Desc: q.Desc, CreatedAt: last.CreatedAt, PriceCents: last.PriceCents, Name: last.Name, ID: last.ID}
	}
	return page, nil
}

// storable fails as PostgreSQL does on text it cannot hold: a NUL byte or invalid UTF-8 (SQLSTATE
// 22021). The service must refuse such text before it gets here.
func storable(texts ...string) error {
	for _, s := range texts {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return fmt.Errorf("catalogtest: invalid byte sequence for encoding \"UTF8\" in %q (SQLSTATE 22021)", s)
		}
	}
	return nil
}

func matches(p catalog.Product, q catalog.ListQuery) bool {
	if q.MinPriceCents != nil && p.PriceCents < *q.MinPriceCents {
		return false
	}
	if q.MaxPriceCents != nil && p.PriceCents > *q.MaxPriceCents {
		return false
	}
	if q.InStock && p.Stock <= 0 {
		return false
	}
	if q.Search != "" {
		s := strings.ToLower(q.Search)
		return strings.Contains(strings.ToLower(p.Name), s) || strings.Contains(strings.ToLower(p.SKU), s)
	}
	return true
}

// compare orders a and b by the sort key, then by ID, reversed when desc.
func compare(a, b catalog.Product, sort catalog.SortField, desc bool) int {
	return compareToCursor(a, catalog.Cursor{CreatedAt: b.CreatedAt, PriceCents: b.PriceCents, Name: b.Name, ID: b.ID}, sort, desc)
}

func compareToCursor(p catalog.Product, c catalog.Cursor, sort catalog.SortField, desc bool) int {
	var n int
	switch sort {
	case catalog.SortPrice:
		n = cmp.Compare(p.PriceCents, c.PriceCents)
	case catalog.SortName:
		// Byte order; PostgreSQL sorts by the database's collation, which agrees on the
		// plain names tests use.
		n = strings.Compare(p.Name, c.Name)
	default:
		n = p.CreatedAt.Compare(c.CreatedAt)
	}
	if n == 0 {
		n = bytes.Compare(p.ID[:], c.ID[:])
	}
	if desc {
		return -n
	}
	return n
}

// TakeError is what Take refuses: the product does not exist (Unknown) or has too little stock.
type TakeError struct {
	ProductID uuid.UUID
	Unknown   bool
}

func (e *TakeError) Error() string {
	if e.Unknown {
		return fmt.Sprintf("product %s does not exist", e.ProductID)
	}
	return fmt.Sprintf("not enough stock of product %s", e.ProductID)
}

// Take takes quantities of the products' stock, all or nothing, and returns the products as
// they are after it, their versions unchanged (the store keeps stock in its own table and does
// not bump the product's version when an order takes some). A product that does not exist, or has less
// than asked, is a *TakeError and nothing is taken. The ordering fake uses it.
func (m *Memory) Take(quantities map[uuid.UUID]int) (map[uuid.UUID]catalog.Product, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]uuid.UUID, 0, len(quantities))
	for id := range quantities {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	for _, id := range ids {
		if _, ok := m.products[id]; !ok {
			return nil, &TakeError{ProductID: id, Unknown: true}
		}
	}
	for _, id := range ids {
		if m.products[id].Stock < quantities[id] {
			return nil, &TakeError{ProductID: id}
		}
	}
	after := make(map[uuid.UUID]catalog.Product, len(ids))
	for _, id := range ids {
		p := m.products[id]
		p.Stock -= quantities[id]
		m.products[id] = p
		m.ordered[id] = true
		after[id] = p
	}
	return after, nil
}
