// Package outboxtest has an in-memory outbox.Store for tests, with the PostgreSQL store's
// semantics (oldest first, rows locked by one relay skipped by the others, only the confirmed
// IDs marked, nothing marked when the transaction cannot commit), and StoreContract, which
// every outbox.Store passes.
package outboxtest

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/outbox"
)

// Memory is an outbox.Store in memory. Its zero value is ready to use.
type Memory struct {
	mu   sync.Mutex
	rows []*row // in insertion (seq) order
	byID map[uuid.UUID]*row
}

type row struct {
	event     events.Event
	published bool
	locked    bool // by a Relay in progress, as SELECT … FOR UPDATE SKIP LOCKED
}

var _ outbox.Store = (*Memory)(nil)

// NewMemory returns an empty outbox.
func NewMemory() *Memory { return &Memory{} }

// Add appends events, as the order transactions insert them. An ID already present is an
// error, as the primary key is.
func (m *Memory) Add(_ context.Context, evs ...events.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID == nil {
		m.byID = map[uuid.UUID]*row{}
	}
	for _, e := range evs {
		if _, ok := m.byID[e.ID]; ok {
			return fmt.Errorf("outboxtest: event %s exists", e.ID)
		}
	}
	for _, e := range evs {
		r := &row{event: e}
		m.rows = append(m.rows, r)
		m.byID[e.ID] = r
	}
	return nil
}

// Relay locks up to limit of the oldest unpublished events no other Relay holds, calls publish
// with them (without holding the store's lock, as a transaction holds only its rows), then
// marks the IDs publish returned that belong to the batch, even when publish failed. When ctx
// ended meanwhile the transaction cannot commit: nothing is marked.
func (m *Memory) Relay(ctx context.Context, limit int, publish func(ctx context.Context, batch []events.Event) ([]uuid.UUID, error)) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("outboxtest: relay: %w", err)
	}
	batch := m.lock(limit)
	if len(batch) == 0 {
		return 0, nil
	}
	defer m.unlock(batch)
	evs := make([]events.Event, len(batch))
	for i, r := range batch {
		evs[i] = r.event
	}
	ids, pubErr := publish(ctx, evs)
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("outboxtest: relay: commit: %w", err)
	}
	n := m.mark(batch, ids)
	if pubErr != nil {
		return n, fmt.Errorf("outboxtest: relay: publish: %w", pubErr)
	}
	return n, nil
}

func (m *Memory) lock(limit int) []*row {
	m.mu.Lock()
	defer m.mu.Unlock()
	var batch []*row
	for _, r := range m.rows {
		if len(batch) >= limit {
			break
		}
		if !r.published && !r.locked {
			r.locked = true
			batch = append(batch, r)
		}
	}
	return batch
}

func (m *Memory) unlock(batch []*row) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range batch {
		r.locked = false
	}
}

func (m *Memory) mark(batch []*row, ids []uuid.UUID) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	inBatch := make(map[uuid.UUID]*row, len(batch))
	for _, r := range batch {
		inBatch[r.event.ID] = r
	}
	n := 0
	for _, id := range ids {
		if r, ok := inBatch[id]; ok && !r.published {
			r.published = true
			n++
		}
	}
	return n
}

// Pending counts the unpublished events.
func (m *Memory) Pending(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("outboxtest: pending: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.rows {
		if !r.published {
			n++
		}
	}
	return n, nil
}

// Published reports whether the event is marked published.
func (m *Memory) Published(id uuid.UUID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byID[id]
	return ok && r.published
}

// Len counts the events, published or not.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rows)
}
