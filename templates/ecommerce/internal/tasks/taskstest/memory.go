// Package taskstest has an in-memory tasks.Store for tests: it applies each effect once per
// message ID, as the PostgreSQL store does, and counts what it applied.
package taskstest

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/tasks"
)

// Consumers, as the processed-message records name them.
const (
	consumerOrderConfirmation = "order-confirmation"
	consumerStockAlert        = "stock-alert"
)

// Memory is a tasks.Store in memory. Its zero value is ready to use.
type Memory struct {
	mu sync.Mutex
	// processed records the (consumer, message) pairs applied, as processed_messages does.
	processed map[string]map[uuid.UUID]bool
	// confirmed maps order ID → the confirming message ID (one confirmation per order).
	confirmed map[uuid.UUID]uuid.UUID
	alerts    []StockAlert
	// applied counts the effects per message ID; calls counts every call.
	applied map[uuid.UUID]int
	calls   int
}

// StockAlert is a recorded stock-low alert.
type StockAlert struct {
	MessageID uuid.UUID
	events.StockLow
}

var _ tasks.Store = (*Memory)(nil)

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{} }

// ConfirmOrder confirms the order once: a message already processed, or an order already
// confirmed, applies nothing.
func (m *Memory) ConfirmOrder(ctx context.Context, messageID uuid.UUID, e events.OrderPlaced) (bool, error) {
	return m.apply(ctx, consumerOrderConfirmation, messageID, func() bool {
		if _, ok := m.confirmed[e.OrderID]; ok {
			return false
		}
		if m.confirmed == nil {
			m.confirmed = map[uuid.UUID]uuid.UUID{}
		}
		m.confirmed[e.OrderID] = messageID
		return true
	})
}

// RecordStockAlert records the alert once per message.
func (m *Memory) RecordStockAlert(ctx context.Context, messageID uuid.UUID, e events.StockLow) (bool, error) {
	return m.apply(ctx, consumerStockAlert, messageID, func() bool {
		m.alerts = append(m.alerts, StockAlert{MessageID: messageID, StockLow: e})
		return true
	})
}

// apply runs effect and records the message in one step, unless the message was processed.
func (m *Memory) apply(ctx context.Context, consumer string, messageID uuid.UUID, effect func() bool) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("taskstest: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.processed[consumer][messageID] {
		return false, nil
	}
	if m.processed == nil {
		m.processed = map[string]map[uuid.UUID]bool{}
	}
	if m.processed[consumer] == nil {
		m.processed[consumer] = map[uuid.UUID]bool{}
	}
	m.processed[consumer][messageID] = true
	if !effect() {
		return false, nil
	}
	if m.applied == nil {
		m.applied = map[uuid.UUID]int{}
	}
	m.applied[messageID]++
	return true, nil
}

// Applied returns how many times each message's effect was applied: 1 each, for a store that
// works.
func (m *Memory) Applied() map[uuid.UUID]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.applied)
}

// Calls counts the calls of ConfirmOrder and RecordStockAlert that reached the store.
func (m *Memory) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// Confirmation returns the ID of the message that confirmed the order, if any.
func (m *Memory) Confirmation(orderID uuid.UUID) (uuid.UUID, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.confirmed[orderID]
	return id, ok
}

// StockAlerts returns the alerts recorded, in order.
func (m *Memory) StockAlerts() []StockAlert {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]StockAlert(nil), m.alerts...)
}
