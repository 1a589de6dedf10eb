// Package schema is the shop's data model as Ent schema; `make generate` turns it into ent/.
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

// Product is one thing the shop sells.
type Product struct{ ent.Schema }

// Fields of Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(uuid.New).Immutable(),
		field.String("sku").NotEmpty().MaxLen(64).Unique().Immutable(),
		field.String("name").NotEmpty().MaxLen(200),
		field.Text("description").Default(""),
		field.Int64("price_cents").NonNegative(),
		field.Int("version").Default(1).Positive(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of Product.
func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("stock", Stock.Type).Unique().Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("order_lines", OrderLine.Type),
	}
}

// Indexes of Product: the keyset pagination of each sort, ties broken by id.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at", "id"),
		index.Fields("price_cents", "id"),
		index.Fields("name", "id"),
	}
}

// Annotations of Product.
func (Product) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Checks(map[string]string{"products_price_cents_nonnegative": "price_cents >= 0"})}
}

// Stock is how many units of a product are on hand: one row per product, never negative.
type Stock struct{ ent.Schema }

// Fields of Stock.
func (Stock) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("product_id", uuid.UUID{}).Immutable(),
		field.Int("quantity").NonNegative(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of Stock.
func (Stock) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("stock").Field("product_id").Unique().Required().Immutable(),
	}
}

// Annotations of Stock: the guard that keeps stock from going negative in the database too.
func (Stock) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table("stock"),
		entsql.Checks(map[string]string{"stock_quantity_nonnegative": "quantity >= 0"}),
	}
}
