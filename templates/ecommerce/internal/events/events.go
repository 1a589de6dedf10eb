// Package events is what the shop tells the rest of the world after a change commits: the
// outbox stores them in the change's transaction, the relay publishes them, the worker handles
// them. Payloads are JSON; their shapes are the types here.
package events

import (
	"time"

	"github.com/google/uuid"
)

// The event types, which are also the RabbitMQ routing keys.
const (
	TypeOrderPlaced = "order.placed"
	TypeStockLow    = "stock.low"
)

// Event is one outbox row. ID is the message ID consumers deduplicate on.
type Event struct {
	ID          uuid.UUID
	Type        string
	AggregateID uuid.UUID
	Payload     []byte
	OccurredAt  time.Time
}

// OrderPlaced is the payload of TypeOrderPlaced.
type OrderPlaced struct {
	OrderID    uuid.UUID `json:"order_id"`
	CustomerID uuid.UUID `json:"customer_id"`
	TotalCents int64     `json:"total_cents"`
	Lines      int       `json:"lines"`
}

// StockLow is the payload of TypeStockLow: an order took a product's stock below the threshold.
type StockLow struct {
	ProductID uuid.UUID `json:"product_id"`
	SKU       string    `json:"sku"`
	Stock     int       `json:"stock"`
	Threshold int       `json:"threshold"`
}
