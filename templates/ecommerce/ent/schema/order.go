package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Order is what a customer bought, in one transaction.
type Order struct{ ent.Schema }

// Fields of Order.
func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(uuid.New).Immutable(),
		field.UUID("customer_id", uuid.UUID{}).Immutable(),
		field.Enum("status").Values("placed", "confirmed").Default("placed"),
		field.Int64("total_cents").NonNegative().Immutable(),
		// The client's Idempotency-Key and the hash of the request it came with.
		field.String("idempotency_key").Optional().Nillable().MaxLen(255).Immutable(),
		field.String("request_hash").Optional().Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("orders").Field("customer_id").Unique().Required().Immutable(),
		edge.To("lines", OrderLine.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("confirmation", OrderConfirmation.Type).Unique(),
	}
}

// Indexes of Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "idempotency_key").Unique(),
		index.Fields("customer_id", "created_at", "id"),
	}
}

// OrderLine is one product of an order, at the price it was bought for.
type OrderLine struct{ ent.Schema }

// Fields of OrderLine.
func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("id"),
		field.UUID("order_id", uuid.UUID{}).Immutable(),
		field.UUID("product_id", uuid.UUID{}).Immutable(),
		field.Int("quantity").Positive().Immutable(),
		field.Int64("unit_price_cents").NonNegative().Immutable(),
	}
}

// Edges of OrderLine.
func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("lines").Field("order_id").Unique().Required().Immutable(),
		edge.From("product", Product.Type).Ref("order_lines").Field("product_id").Unique().Required().Immutable(),
	}
}

// Indexes of OrderLine.
func (OrderLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id"), index.Fields("product_id")}
}

// Annotations of OrderLine.
func (OrderLine) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Checks(map[string]string{"order_lines_quantity_positive": "quantity > 0"})}
}
