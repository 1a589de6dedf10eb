package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/ent/order"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/tasks"
)

// Tasks is tasks.Store: each effect commits with the processed_messages row of its message, so
// a redelivered message finds the row and does nothing.
type Tasks struct{ client *ent.Client }

var _ tasks.Store = (*Tasks)(nil)

// The consumers, as recorded in processed_messages.
const (
	ConsumerOrderConfirmation = "order-confirmation"
	ConsumerStockAlert        = "stock-alert"
)

// markProcessedSQL records that consumer handled the message, unless it did already. A second
// delivery racing the first waits on the unique index and then inserts nothing.
const markProcessedSQL = `INSERT INTO processed_messages (message_id, consumer, processed_at) VALUES ($1, $2, $3)
ON CONFLICT (message_id, consumer) DO NOTHING`

// confirmSQL records an order's confirmation; an order has one, whichever message made it.
const confirmSQL = `INSERT INTO order_confirmations (order_id, message_id, confirmed_at) VALUES ($1, $2, $3)
ON CONFLICT (order_id) DO NOTHING`

// ConfirmOrder records the order's confirmation and moves it to confirmed, once per message.
func (t *Tasks) ConfirmOrder(ctx context.Context, messageID uuid.UUID, e events.OrderPlaced) (bool, error) {
	applied, err := once(ctx, t.client, messageID, ConsumerOrderConfirmation, func(tx *ent.Tx) error {
		n, err := tx.Order.Update().Where(order.ID(e.OrderID)).SetStatus(order.StatusConfirmed).Save(ctx)
		switch {
		case err != nil:
			return fmt.Errorf("set status: %w", err)
		case n == 0:
			return ordering.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, confirmSQL, e.OrderID, messageID, now()); err != nil {
			return fmt.Errorf("insert confirmation: %w", err)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("confirm order %s (message %s): %w", e.OrderID, messageID, err)
	}
	return applied, nil
}

// RecordStockAlert records the alert, once per message.
func (t *Tasks) RecordStockAlert(ctx context.Context, messageID uuid.UUID, e events.StockLow) (bool, error) {
	applied, err := once(ctx, t.client, messageID, ConsumerStockAlert, func(tx *ent.Tx) error {
		_, err := tx.StockAlert.Create().
			SetMessageID(messageID).
			SetProductID(e.ProductID).
			SetSku(e.SKU).
			SetStock(e.Stock).
			SetThreshold(e.Threshold).
			SetCreatedAt(now()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("insert stock alert: %w", err)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record stock alert for %s (message %s): %w", e.ProductID, messageID, err)
	}
	return applied, nil
}

// once runs effect in the transaction that records messageID as processed by consumer, unless
// it was already: then it does nothing and reports false.
func once(ctx context.Context, client *ent.Client, messageID uuid.UUID, consumer string, effect func(tx *ent.Tx) error) (bool, error) {
	var applied bool
	err := inTx(ctx, client, func(tx *ent.Tx) error {
		res, err := tx.ExecContext(ctx, markProcessedSQL, messageID, consumer, now())
		if err != nil {
			return fmt.Errorf("record processed message: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("record processed message: %w", err)
		}
		if n == 0 {
			return nil
		}
		if err := effect(tx); err != nil {
			return err
		}
		applied = true
		return nil
	})
	return applied, err
}
