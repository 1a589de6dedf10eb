// Package outbox publishes what the order transactions wrote to the outbox table: a relay takes
// the oldest unpublished events (rows other relays have locked are skipped), publishes them with
// publisher confirms, and marks published only what the broker confirmed.
package outbox

import (
	"context"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
)

// Store is the outbox table.
type Store interface {
	// Relay locks up to limit of the oldest unpublished events (FOR UPDATE SKIP LOCKED), calls
	// publish with them, and in the same transaction marks as published the IDs publish
	// returns. An error from publish still marks the IDs it returned. It returns how many
	// events were marked.
	Relay(ctx context.Context, limit int, publish func(ctx context.Context, batch []events.Event) ([]uuid.UUID, error)) (int, error)
	// Pending counts the unpublished events.
	Pending(ctx context.Context) (int, error)
}
