package store

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/ent/predicate"
	"example.com/gopher-template/ecommerce/ent/product"
	"example.com/gopher-template/ecommerce/ent/stock"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/pgdb"
)

// Catalog is catalog.Repository: a products row and its stock row, written together.
type Catalog struct{ client *ent.Client }

var _ catalog.Repository = (*Catalog)(nil)

// Create stores the product and its stock in one transaction.
func (c *Catalog) Create(ctx context.Context, p catalog.NewProduct) (catalog.Product, error) {
	var out catalog.Product
	err := inTx(ctx, c.client, func(tx *ent.Tx) error {
		at := now()
		row, err := tx.Product.Create().
			SetSku(p.SKU).
			SetName(p.Name).
			SetDescription(p.Description).
			SetPriceCents(p.PriceCents).
			SetCreatedAt(at).
			SetUpdatedAt(at).
			Save(ctx)
		if err != nil {
			if isUniqueViolation(err, productsSKUKey) {
				return catalog.ErrSKUTaken
			}
			return fmt.Errorf("insert product: %w", err)
		}
		row.Edges.Stock, err = tx.Stock.Create().SetProductID(row.ID).SetQuantity(p.Stock).SetUpdatedAt(at).Save(ctx)
		if err != nil {
			return fmt.Errorf("insert stock: %w", err)
		}
		out = productFromEnt(row)
		return nil
	})
	if err != nil {
		return catalog.Product{}, fmt.Errorf("create product %q: %w", p.SKU, err)
	}
	return out, nil
}

// Get returns the product with its stock.
func (c *Catalog) Get(ctx context.Context, id uuid.UUID) (catalog.Product, error) {
	row, err := c.client.Product.Query().Where(product.ID(id)).WithStock().Only(ctx)
	if err != nil {
		return catalog.Product{}, fmt.Errorf("get product %s: %w", id, notFound(err, catalog.ErrNotFound))
	}
	return productFromEnt(row), nil
}

// Update replaces the product's fields and stock and bumps its version, in one transaction. The
// precondition is checked in it, with the stock row locked first (see lockStock): an order
// that took stock since the caller read the product has committed by then, and its stock is
// compared, so the write cannot put back stock the order took. The version check is also part
// of the UPDATE's WHERE, so two writers with the same precondition cannot both win.
func (c *Catalog) Update(ctx context.Context, id uuid.UUID, pre catalog.Precondition, ch catalog.Change) (catalog.Product, error) {
	var out catalog.Product
	err := inTx(ctx, c.client, func(tx *ent.Tx) error {
		if err := checkPrecondition(ctx, tx, id, pre); err != nil {
			return err
		}
		if _, err := tx.Stock.Update().Where(stock.ProductID(id)).SetQuantity(ch.Stock).SetUpdatedAt(now()).Save(ctx); err != nil {
			return fmt.Errorf("update stock: %w", err)
		}
		n, err := tx.Product.Update().
			Where(versioned(id, pre)...).
			SetName(ch.Name).
			SetDescription(ch.Description).
			SetPriceCents(ch.PriceCents).
			AddVersion(1).
			SetUpdatedAt(now()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("update product: %w", err)
		}
		if n == 0 {
			return whyMissing(ctx, tx.Client(), id) // and the stock change rolls back
		}
		row, err := tx.Product.Query().Where(product.ID(id)).WithStock().Only(ctx)
		if err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		out = productFromEnt(row)
		return nil
	})
	if err != nil {
		return catalog.Product{}, fmt.Errorf("update product %s: %w", id, err)
	}
	return out, nil
}

// Delete removes the product (its stock row goes with it) if the precondition holds, checked as
// Update checks it. A product that orders refer to stays: catalog.ErrInUse.
func (c *Catalog) Delete(ctx context.Context, id uuid.UUID, pre catalog.Precondition) error {
	err := inTx(ctx, c.client, func(tx *ent.Tx) error {
		if err := checkPrecondition(ctx, tx, id, pre); err != nil {
			return err
		}
		n, err := tx.Product.Delete().Where(versioned(id, pre)...).Exec(ctx)
		switch {
		case isViolation(err, pgdb.ForeignKeyViolation, orderLinesProductFK):
			return catalog.ErrInUse
		case err != nil:
			return err
		case n == 0:
			return whyMissing(ctx, tx.Client(), id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete product %s: %w", id, err)
	}
	return nil
}

// checkPrecondition locks the product's stock row (lockStock) and checks the precondition's
// stock against it; the version is checked by the write's WHERE (versioned), under the same
// lock. Every product has a stock row: without one, it is catalog.ErrNotFound.
func checkPrecondition(ctx context.Context, tx *ent.Tx, id uuid.UUID, pre catalog.Precondition) error {
	quantity, err := lockStock(ctx, tx, id)
	if err != nil {
		return err
	}
	if !pre.Unconditional() && quantity != pre.Stock {
		return catalog.ErrVersionMismatch
	}
	return nil
}

// lockStock locks the product's stock row and returns its quantity (catalog.ErrNotFound when
// there is none). Every transaction that writes both rows of a product takes the stock row
// first: Place locks the stock, then (inserting an order line) the product row's key; a write
// that held the product row while waiting for the stock would deadlock with it.
func lockStock(ctx context.Context, tx *ent.Tx, productID uuid.UUID) (int, error) {
	row, err := tx.Stock.Query().Where(stock.ProductID(productID)).ForUpdate().Only(ctx)
	if err != nil {
		return 0, fmt.Errorf("lock stock: %w", notFound(err, catalog.ErrNotFound))
	}
	return row.Quantity, nil
}

// versioned selects the product, at the precondition's version unless it is unconditional.
func versioned(id uuid.UUID, pre catalog.Precondition) []predicate.Product {
	ps := []predicate.Product{product.ID(id)}
	if !pre.Unconditional() {
		ps = append(ps, product.Version(pre.Version))
	}
	return ps
}

// whyMissing tells why a conditional write matched no row.
func whyMissing(ctx context.Context, client *ent.Client, id uuid.UUID) error {
	exists, err := client.Product.Query().Where(product.ID(id)).Exist(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("look up product: %w", err)
	case exists:
		return catalog.ErrVersionMismatch
	default:
		return catalog.ErrNotFound
	}
}

// List returns one page in the query's order, ties broken by id, starting after q.After: keyset
// pagination, so a page costs the same wherever it is and rows added meanwhile do not shift it.
func (c *Catalog) List(ctx context.Context, q catalog.ListQuery) (catalog.Page, error) {
	limit := max(q.Limit, 1)
	rows, err := c.client.Product.Query().
		Where(listPredicates(q)...).
		Order(listOrder(q)...).
		Limit(limit + 1).
		WithStock().
		All(ctx)
	if err != nil {
		return catalog.Page{}, fmt.Errorf("list products: %w", err)
	}
	page := catalog.Page{Items: make([]catalog.Product, 0, min(len(rows), limit))}
	for _, r := range rows[:min(len(rows), limit)] {
		page.Items = append(page.Items, productFromEnt(r))
	}
	if len(rows) > limit {
		last := page.Items[len(page.Items)-1]
		page.Next = &catalog.Cursor{
			Sort: sortOf(q), Desc: q.Desc,
			CreatedAt: last.CreatedAt, PriceCents: last.PriceCents, Name: last.Name, ID: last.ID,
		}
	}
	return page, nil
}

func sortOf(q catalog.ListQuery) catalog.SortField {
	switch q.Sort {
	case catalog.SortPrice, catalog.SortName:
		return q.Sort
	default:
		return catalog.SortCreated
	}
}

// sortKey is the column of the query's sort and the cursor's value of it.
func sortKey(sort catalog.SortField, cur *catalog.Cursor) (column string, value any) {
	switch sort {
	case catalog.SortPrice:
		return product.FieldPriceCents, cur.PriceCents
	case catalog.SortName:
		return product.FieldName, cur.Name
	default:
		return product.FieldCreatedAt, cur.CreatedAt
	}
}

// listPredicates are the query's filters and, after a cursor, the keyset condition
// (sort, id) > (cursor's sort, cursor's id), < when descending.
func listPredicates(q catalog.ListQuery) []predicate.Product {
	var ps []predicate.Product
	if q.MinPriceCents != nil {
		ps = append(ps, product.PriceCentsGTE(*q.MinPriceCents))
	}
	if q.MaxPriceCents != nil {
		ps = append(ps, product.PriceCentsLTE(*q.MaxPriceCents))
	}
	if q.Search != "" {
		// ContainsFold is ILIKE with %, _ and \ escaped: the search is a plain substring.
		ps = append(ps, product.Or(product.NameContainsFold(q.Search), product.SkuContainsFold(q.Search)))
	}
	if q.InStock {
		ps = append(ps, product.HasStockWith(stock.QuantityGT(0)))
	}
	if q.After != nil {
		column, value := sortKey(sortOf(q), q.After)
		id := q.After.ID
		desc := q.Desc
		ps = append(ps, func(s *sql.Selector) {
			cols := []string{s.C(column), s.C(product.FieldID)}
			if desc {
				s.Where(sql.CompositeLT(cols, value, id))
			} else {
				s.Where(sql.CompositeGT(cols, value, id))
			}
		})
	}
	return ps
}

func listOrder(q catalog.ListQuery) []product.OrderOption {
	dir := sql.OrderAsc()
	if q.Desc {
		dir = sql.OrderDesc()
	}
	var by product.OrderOption
	switch sortOf(q) {
	case catalog.SortPrice:
		by = product.ByPriceCents(dir)
	case catalog.SortName:
		by = product.ByName(dir)
	default:
		by = product.ByCreatedAt(dir)
	}
	return []product.OrderOption{by, product.ByID(dir)}
}

func productFromEnt(p *ent.Product) catalog.Product {
	out := catalog.Product{
		ID:          p.ID,
		SKU:         p.Sku,
		Name:        p.Name,
		Description: p.Description,
		PriceCents:  p.PriceCents,
		Version:     p.Version,
		CreatedAt:   p.CreatedAt,
		UpdatedAt:   p.UpdatedAt,
	}
	if p.Edges.Stock != nil {
		out.Stock = p.Edges.Stock.Quantity
	}
	return out
}
