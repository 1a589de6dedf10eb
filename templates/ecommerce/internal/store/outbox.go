package store

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/ent/outboxevent"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/outbox"
)

// Outbox is outbox.Store.
type Outbox struct{ client *ent.Client }

var _ outbox.Store = (*Outbox)(nil)

// defaultRelayBatch is Relay's batch when it is given no positive limit.
const defaultRelayBatch = 100

// Relay locks up to limit of the oldest unpublished events, skipping the rows another relay
// holds, so relays in parallel never hand out the same event; it calls publish while holding
// them and, in the same transaction, marks published the batch's IDs publish returns (also when
// publish fails). Events publish does not return stay pending for the next call.
func (s *Outbox) Relay(ctx context.Context, limit int, publish func(ctx context.Context, batch []events.Event) ([]uuid.UUID, error)) (int, error) {
	if limit <= 0 {
		limit = defaultRelayBatch
	}
	var marked int
	var publishErr error
	err := inTx(ctx, s.client, func(tx *ent.Tx) error {
		rows, err := tx.OutboxEvent.Query().
			Where(outboxevent.PublishedAtIsNil()).
			Order(outboxevent.BySeq()).
			Limit(limit).
			ForUpdate(sql.WithLockAction(sql.SkipLocked)).
			All(ctx)
		if err != nil {
			return fmt.Errorf("lock pending events: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		batch := make([]events.Event, 0, len(rows))
		inBatch := make(map[uuid.UUID]bool, len(rows))
		for _, r := range rows {
			batch = append(batch, events.Event{ID: r.ID, Type: r.Type, AggregateID: r.AggregateID, Payload: r.Payload, OccurredAt: r.OccurredAt})
			inBatch[r.ID] = true
		}
		published, err := publish(ctx, batch)
		publishErr = err
		ids := make([]uuid.UUID, 0, len(published))
		for _, id := range published {
			if inBatch[id] {
				ids = append(ids, id)
				inBatch[id] = false // once
			}
		}
		if len(ids) == 0 {
			return nil
		}
		marked, err = tx.OutboxEvent.Update().Where(outboxevent.IDIn(ids...)).SetPublishedAt(now()).Save(ctx)
		if err != nil {
			marked = 0
			return fmt.Errorf("mark published: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox relay: %w", err)
	}
	if publishErr != nil {
		return marked, fmt.Errorf("outbox relay: publish: %w", publishErr)
	}
	return marked, nil
}

// Pending counts the unpublished events.
func (s *Outbox) Pending(ctx context.Context) (int, error) {
	n, err := s.client.OutboxEvent.Query().Where(outboxevent.PublishedAtIsNil()).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count pending events: %w", err)
	}
	return n, nil
}
