package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	"example.com/gopher-template/ecommerce/ent/migrate"
)

// Diff returns the SQL that Ent's schema diff would run to bring db to ent/schema, without
// running it: empty when the database (migrated with Up) already matches the schema. Against an
// empty database it is the whole schema, the start of a new migration file. Dropped columns and
// indexes are included, so a migration that adds more than the schema shows up too.
func Diff(ctx context.Context, db *sql.DB) (string, error) {
	var b strings.Builder
	// WriteTo sends every statement to b instead of the database; only the inspection queries
	// reach db.
	s := migrate.NewSchema(entsql.OpenDB(dialect.Postgres, db))
	if err := s.WriteTo(ctx, &b, schema.WithDropColumn(true), schema.WithDropIndex(true)); err != nil {
		return "", fmt.Errorf("migrations: diff: %w", err)
	}
	return b.String(), nil
}
