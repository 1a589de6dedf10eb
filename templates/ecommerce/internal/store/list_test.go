package store

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent/product"
	"example.com/gopher-template/ecommerce/internal/catalog"
)

// listSQL renders the query List would run for q.
func listSQL(q catalog.ListQuery) (string, []any) {
	s := sql.Dialect(dialect.Postgres).Select("*").From(sql.Table(product.Table))
	for _, p := range listPredicates(q) {
		p(s)
	}
	for _, o := range listOrder(q) {
		o(s)
	}
	return s.Query()
}

func TestListSQL(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("6f1c5a7e-0000-4000-8000-000000000001")
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	minPrice, maxPrice := int64(100), int64(900)
	tests := []struct {
		name     string
		q        catalog.ListQuery
		want     []string
		wantArgs []any
	}{
		{
			name:     "default order is created_at ascending, ties by id",
			q:        catalog.ListQuery{},
			want:     []string{`ORDER BY "products"."created_at", "products"."id"`},
			wantArgs: nil,
		},
		{
			name:     "LIKE metacharacters and the escape character are escaped",
			q:        catalog.ListQuery{Search: `50%_OFF\`},
			want:     []string{`"products"."name" ILIKE $1 OR "products"."sku" ILIKE $2`},
			wantArgs: []any{`%50\%\_off\\%`, `%50\%\_off\\%`},
		},
		{
			name:     "price range and in stock",
			q:        catalog.ListQuery{MinPriceCents: &minPrice, MaxPriceCents: &maxPrice, InStock: true},
			want:     []string{`"products"."price_cents" >= $1`, `"products"."price_cents" <= $2`, `EXISTS (SELECT "stock"."product_id" FROM "stock" WHERE "products"."id" = "stock"."product_id" AND "stock"."quantity" > $3)`},
			wantArgs: []any{minPrice, maxPrice, 0},
		},
		{
			name:     "after a cursor, ascending by price",
			q:        catalog.ListQuery{Sort: catalog.SortPrice, After: &catalog.Cursor{PriceCents: 250, Name: "ignored", ID: id}},
			want:     []string{`("products"."price_cents", "products"."id") > ($1, $2)`, `ORDER BY "products"."price_cents", "products"."id"`},
			wantArgs: []any{int64(250), id},
		},
		{
			name:     "after a cursor, descending by name",
			q:        catalog.ListQuery{Sort: catalog.SortName, Desc: true, After: &catalog.Cursor{Name: "Mug", ID: id}},
			want:     []string{`("products"."name", "products"."id") < ($1, $2)`, `ORDER BY "products"."name" DESC, "products"."id" DESC`},
			wantArgs: []any{"Mug", id},
		},
		{
			name:     "after a cursor, descending by creation",
			q:        catalog.ListQuery{Sort: catalog.SortCreated, Desc: true, After: &catalog.Cursor{CreatedAt: at, ID: id}},
			want:     []string{`("products"."created_at", "products"."id") < ($1, $2)`, `ORDER BY "products"."created_at" DESC, "products"."id" DESC`},
			wantArgs: []any{at, id},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			query, args := listSQL(tt.q)
			for _, w := range tt.want {
				if !strings.Contains(query, w) {
					t.Errorf("query\n%s\ndoes not contain\n%s", query, w)
				}
			}
			if !reflect.DeepEqual(args, tt.wantArgs) {
				t.Errorf("args = %#v, want %#v", args, tt.wantArgs)
			}
		})
	}
}
