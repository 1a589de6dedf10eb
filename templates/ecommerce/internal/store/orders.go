package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/ent/order"
	"example.com/gopher-template/ecommerce/ent/orderline"
	"example.com/gopher-template/ecommerce/ent/product"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/ordering"
)

// Orders is ordering.Repository.
type Orders struct{ client *ent.Client }

var _ ordering.Repository = (*Orders)(nil)

// Place takes the stock, stores the order and writes its events in one transaction:
//
//   - With an idempotency key, a transaction-scoped advisory lock on (customer, key) makes a
//     second request with the same key wait for the first to commit and then find its order;
//     the unique index on (customer_id, idempotency_key) is the backstop.
//   - Each line takes its stock with a guarded UPDATE (quantity >= wanted), so stock never goes
//     below zero whatever runs at the same time; the lines are taken in product-id order, so two
//     orders on the same products lock their rows in the same order and cannot deadlock.
//   - The price is the product's at that moment.
//   - The order.placed event, and a stock.low event for each product this order took below the
//     threshold, go to the outbox in the same transaction.
func (o *Orders) Place(ctx context.Context, cmd ordering.PlaceCommand) (ordering.Order, bool, error) {
	out, replayed, err := o.place(ctx, cmd)
	if err != nil && cmd.IdempotencyKey != "" && isUniqueViolation(err, ordersIdempotencyKey) {
		// Another request with this key committed first: answer with its order.
		var found bool
		out, found, err = o.byIdempotencyKey(ctx, o.client, cmd)
		replayed = true
		if err == nil && !found {
			err = errors.New("the order holding this idempotency key vanished")
		}
	}
	if err != nil {
		return ordering.Order{}, false, fmt.Errorf("place order for %s: %w", cmd.CustomerID, err)
	}
	return out, replayed, nil
}

func (o *Orders) place(ctx context.Context, cmd ordering.PlaceCommand) (out ordering.Order, replayed bool, err error) {
	err = inTx(ctx, o.client, func(tx *ent.Tx) error {
		if cmd.IdempotencyKey != "" {
			if _, err := tx.ExecContext(ctx, lockIdempotencyKey, cmd.CustomerID.String()+":"+cmd.IdempotencyKey); err != nil {
				return fmt.Errorf("lock idempotency key: %w", err)
			}
			prev, found, err := o.byIdempotencyKey(ctx, tx.Client(), cmd)
			if err != nil || found {
				out, replayed = prev, found
				return err
			}
		}
		at := now()
		taken, err := takeStock(ctx, tx, cmd.Items, at)
		if err != nil {
			return err
		}
		out = ordering.Order{
			ID:         uuid.New(),
			CustomerID: cmd.CustomerID,
			Status:     ordering.StatusPlaced,
			Lines:      make([]ordering.Line, 0, len(cmd.Items)),
			CreatedAt:  at,
		}
		for _, it := range cmd.Items {
			price := taken[it.ProductID].priceCents
			out.Lines = append(out.Lines, ordering.Line{ProductID: it.ProductID, Quantity: it.Quantity, UnitPriceCents: price})
			out.TotalCents += price * int64(it.Quantity)
		}
		if err := insertOrder(ctx, tx, cmd, out); err != nil {
			return err
		}
		return insertOrderEvents(ctx, tx, cmd, out, taken, at)
	})
	return out, replayed, err
}

// lockIdempotencyKey serialises the transactions placing orders with one (customer, key) until
// they end.
const lockIdempotencyKey = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`

// byIdempotencyKey returns the customer's order with cmd's key: ErrIdempotencyConflict when it
// was placed with another request.
func (o *Orders) byIdempotencyKey(ctx context.Context, client *ent.Client, cmd ordering.PlaceCommand) (ordering.Order, bool, error) {
	row, err := client.Order.Query().
		Where(order.CustomerID(cmd.CustomerID), order.IdempotencyKey(cmd.IdempotencyKey)).
		WithLines(linesInOrder).
		Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return ordering.Order{}, false, nil
	case err != nil:
		return ordering.Order{}, false, fmt.Errorf("look up idempotency key: %w", err)
	case row.RequestHash != cmd.RequestHash:
		return ordering.Order{}, false, ordering.ErrIdempotencyConflict
	}
	return orderFromEnt(row), true, nil
}

// takenLine is what taking one line's stock found.
type takenLine struct {
	priceCents int64
	sku        string
	remaining  int
	quantity   int
}

// takeStockSQL takes q units of a product if it has them, and returns what is left with the
// product's price and SKU at that moment. Zero rows: the product is unknown or short.
const takeStockSQL = `UPDATE stock SET quantity = stock.quantity - $1, updated_at = $2
FROM products
WHERE stock.product_id = $3 AND products.id = stock.product_id AND stock.quantity >= $1
RETURNING stock.quantity, products.price_cents, products.sku`

// takeStock takes every item's stock, in product-id order.
func takeStock(ctx context.Context, tx *ent.Tx, items []ordering.Item, at time.Time) (map[uuid.UUID]takenLine, error) {
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b ordering.Item) int { return bytes.Compare(a.ProductID[:], b.ProductID[:]) })
	taken := make(map[uuid.UUID]takenLine, len(sorted))
	for _, it := range sorted {
		t, ok, err := takeOne(ctx, tx, it, at)
		if err != nil {
			return nil, err
		}
		if !ok {
			exists, err := tx.Product.Query().Where(product.ID(it.ProductID)).Exist(ctx)
			switch {
			case err != nil:
				return nil, fmt.Errorf("look up product %s: %w", it.ProductID, err)
			case exists:
				return nil, &ordering.InsufficientStockError{ProductID: it.ProductID}
			default:
				return nil, &ordering.UnknownProductError{ProductID: it.ProductID}
			}
		}
		taken[it.ProductID] = t
	}
	return taken, nil
}

func takeOne(ctx context.Context, tx *ent.Tx, it ordering.Item, at time.Time) (t takenLine, ok bool, err error) {
	rows, err := tx.QueryContext(ctx, takeStockSQL, it.Quantity, at, it.ProductID)
	if err != nil {
		return t, false, fmt.Errorf("take stock of %s: %w", it.ProductID, err)
	}
	defer func() { _ = rows.Close() }()
	if rows.Next() {
		if err := rows.Scan(&t.remaining, &t.priceCents, &t.sku); err != nil {
			return t, false, fmt.Errorf("take stock of %s: %w", it.ProductID, err)
		}
		ok = true
	}
	if err := rows.Err(); err != nil {
		return t, false, fmt.Errorf("take stock of %s: %w", it.ProductID, err)
	}
	t.quantity = it.Quantity
	return t, ok, nil
}

func insertOrder(ctx context.Context, tx *ent.Tx, cmd ordering.PlaceCommand, o ordering.Order) error {
	create := tx.Order.Create().
		SetID(o.ID).
		SetCustomerID(o.CustomerID).
		SetStatus(order.StatusPlaced).
		SetTotalCents(o.TotalCents).
		SetCreatedAt(o.CreatedAt)
	if cmd.IdempotencyKey != "" {
		create.SetIdempotencyKey(cmd.IdempotencyKey).SetRequestHash(cmd.RequestHash)
	}
	if _, err := create.Save(ctx); err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	lines := make([]*ent.OrderLineCreate, 0, len(o.Lines))
	for _, l := range o.Lines {
		lines = append(lines, tx.OrderLine.Create().
			SetOrderID(o.ID).
			SetProductID(l.ProductID).
			SetQuantity(l.Quantity).
			SetUnitPriceCents(l.UnitPriceCents))
	}
	if _, err := tx.OrderLine.CreateBulk(lines...).Save(ctx); err != nil {
		return fmt.Errorf("insert order lines: %w", err)
	}
	return nil
}

// insertOrderEvents writes order.placed and, for each product this order took from at least
// the threshold to below it, stock.low.
func insertOrderEvents(ctx context.Context, tx *ent.Tx, cmd ordering.PlaceCommand, o ordering.Order, taken map[uuid.UUID]takenLine, at time.Time) error {
	placed, err := json.Marshal(events.OrderPlaced{OrderID: o.ID, CustomerID: o.CustomerID, TotalCents: o.TotalCents, Lines: len(o.Lines)})
	if err != nil {
		return fmt.Errorf("encode %s: %w", events.TypeOrderPlaced, err)
	}
	creates := []*ent.OutboxEventCreate{newEvent(tx, events.TypeOrderPlaced, o.ID, placed, at)}
	for _, l := range o.Lines {
		t := taken[l.ProductID]
		if t.remaining >= cmd.LowStockThreshold || t.remaining+t.quantity < cmd.LowStockThreshold {
			continue
		}
		low, err := json.Marshal(events.StockLow{ProductID: l.ProductID, SKU: t.sku, Stock: t.remaining, Threshold: cmd.LowStockThreshold})
		if err != nil {
			return fmt.Errorf("encode %s: %w", events.TypeStockLow, err)
		}
		creates = append(creates, newEvent(tx, events.TypeStockLow, l.ProductID, low, at))
	}
	if _, err := tx.OutboxEvent.CreateBulk(creates...).Save(ctx); err != nil {
		return fmt.Errorf("insert outbox events: %w", err)
	}
	return nil
}

func newEvent(tx *ent.Tx, typ string, aggregate uuid.UUID, payload []byte, at time.Time) *ent.OutboxEventCreate {
	return tx.OutboxEvent.Create().
		SetID(uuid.New()).
		SetType(typ).
		SetAggregateID(aggregate).
		SetPayload(payload).
		SetOccurredAt(at)
}

// Get returns the order with its lines.
func (o *Orders) Get(ctx context.Context, id uuid.UUID) (ordering.Order, error) {
	row, err := o.client.Order.Query().Where(order.ID(id)).WithLines(linesInOrder).Only(ctx)
	if err != nil {
		return ordering.Order{}, fmt.Errorf("get order %s: %w", id, notFound(err, ordering.ErrNotFound))
	}
	return orderFromEnt(row), nil
}

// ListByCustomer returns up to limit of the customer's orders, newest first, after the cursor;
// the cursor is nil on the last page.
func (o *Orders) ListByCustomer(ctx context.Context, customerID uuid.UUID, after *ordering.Cursor, limit int) ([]ordering.Order, *ordering.Cursor, error) {
	limit = max(limit, 1)
	q := o.client.Order.Query().Where(order.CustomerID(customerID))
	if after != nil {
		q.Where(func(s *sql.Selector) {
			s.Where(sql.CompositeLT([]string{s.C(order.FieldCreatedAt), s.C(order.FieldID)}, after.CreatedAt, after.ID))
		})
	}
	rows, err := q.Order(order.ByCreatedAt(sql.OrderDesc()), order.ByID(sql.OrderDesc())).
		Limit(limit + 1).
		WithLines(linesInOrder).
		All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list orders of %s: %w", customerID, err)
	}
	out := make([]ordering.Order, 0, min(len(rows), limit))
	for _, r := range rows[:min(len(rows), limit)] {
		out = append(out, orderFromEnt(r))
	}
	var next *ordering.Cursor
	if len(rows) > limit {
		last := out[len(out)-1]
		next = &ordering.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return out, next, nil
}

// linesInOrder loads an order's lines in the order they were given.
func linesInOrder(q *ent.OrderLineQuery) { q.Order(orderline.ByID()) }

func orderFromEnt(o *ent.Order) ordering.Order {
	out := ordering.Order{
		ID:         o.ID,
		CustomerID: o.CustomerID,
		Status:     ordering.Status(o.Status),
		TotalCents: o.TotalCents,
		CreatedAt:  o.CreatedAt,
		Lines:      make([]ordering.Line, 0, len(o.Edges.Lines)),
	}
	for _, l := range o.Edges.Lines {
		out.Lines = append(out.Lines, ordering.Line{ProductID: l.ProductID, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents})
	}
	return out
}
