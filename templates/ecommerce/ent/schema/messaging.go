package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// OutboxEvent is an event written in the transaction of the change it tells about, and published
// to RabbitMQ by the relay afterwards.
type OutboxEvent struct{ ent.Schema }

// Fields of OutboxEvent.
func (OutboxEvent) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(uuid.New).Immutable(),
		// seq orders the events for the relay (ids are random).
		field.Int64("seq").Immutable().SchemaType(map[string]string{dialect.Postgres: "bigserial"}),
		field.String("type").NotEmpty().Immutable(),
		field.UUID("aggregate_id", uuid.UUID{}).Immutable(),
		field.Bytes("payload").Immutable(),
		field.Time("occurred_at").Default(time.Now).Immutable(),
		field.Time("published_at").Optional().Nillable(),
	}
}

// Indexes of OutboxEvent: the relay reads the unpublished ones in seq order.
func (OutboxEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("seq").Annotations(entsql.IndexWhere("published_at IS NULL")),
	}
}

// Annotations of OutboxEvent.
func (OutboxEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("outbox_events")}
}

// ProcessedMessage records that a consumer applied a message's effect, in the effect's own
// transaction: a redelivered message finds its row and does nothing.
type ProcessedMessage struct{ ent.Schema }

// Fields of ProcessedMessage.
func (ProcessedMessage) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("message_id", uuid.UUID{}).Immutable(),
		field.String("consumer").NotEmpty().Immutable(),
		field.Time("processed_at").Default(time.Now).Immutable(),
	}
}

// Indexes of ProcessedMessage.
func (ProcessedMessage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("message_id", "consumer").Unique()}
}

// OrderConfirmation is the record of an order's confirmation (the example task records it
// instead of sending mail).
type OrderConfirmation struct{ ent.Schema }

// Fields of OrderConfirmation.
func (OrderConfirmation) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("order_id", uuid.UUID{}).Unique().Immutable(),
		field.UUID("message_id", uuid.UUID{}).Immutable(),
		field.Time("confirmed_at").Default(time.Now).Immutable(),
	}
}

// Edges of OrderConfirmation.
func (OrderConfirmation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("confirmation").Field("order_id").Unique().Required().Immutable(),
	}
}

// StockAlert is a stock-low alert, one per event.
type StockAlert struct{ ent.Schema }

// Fields of StockAlert.
func (StockAlert) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("message_id", uuid.UUID{}).Unique().Immutable(),
		field.UUID("product_id", uuid.UUID{}).Immutable(),
		field.String("sku").Immutable(),
		field.Int("stock").Immutable(),
		field.Int("threshold").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of StockAlert.
func (StockAlert) Indexes() []ent.Index {
	return []ent.Index{index.Fields("product_id", "created_at")}
}
