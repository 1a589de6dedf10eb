// Package tasks is what the worker does with each event, applied at most once per message ID
// however often RabbitMQ delivers it: the effect and the record that the message was processed
// commit in one transaction.
package tasks

import (
	"context"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
)

// Store applies the effects. Each method is idempotent on messageID: applied is false, with a
// nil error, when that message was already processed.
type Store interface {
	// ConfirmOrder records the order's confirmation (not mailed: recorded) and moves the
	// order to confirmed.
	ConfirmOrder(ctx context.Context, messageID uuid.UUID, e events.OrderPlaced) (applied bool, err error)
	// RecordStockAlert records a stock-low alert for the product.
	RecordStockAlert(ctx context.Context, messageID uuid.UUID, e events.StockLow) (applied bool, err error)
}
