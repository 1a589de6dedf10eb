//go:build integration

package migrations_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"strings"
	"testing"

	"example.com/gopher-template/ecommerce/internal/migrations"
	"example.com/gopher-template/ecommerce/internal/pgdb"
	"example.com/gopher-template/ecommerce/internal/testenv"
)

var discard = slog.New(slog.DiscardHandler)

// emptyDB returns a pool on a fresh database with no migration applied.
func emptyDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := pgdb.Open(t.Context(), pgdb.Options{URL: testenv.DatabaseURL(t), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// The migrations build exactly the schema ent/schema describes: Ent's diff against a migrated
// database is empty. When this fails, write the diff it prints as the next migration.
func TestMigrationsMatchEntSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := emptyDB(t)
	whole, err := migrations.Diff(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// Against an empty database the diff is the whole schema, CHECKs and partial index included.
	for _, want := range []string{
		`CONSTRAINT "stock_quantity_nonnegative" CHECK (quantity >= 0)`,
		`CONSTRAINT "products_price_cents_nonnegative" CHECK (price_cents >= 0)`,
		`CONSTRAINT "order_lines_quantity_positive" CHECK (quantity > 0)`,
		`CREATE INDEX "outboxevent_seq" ON "outbox_events" ("seq") WHERE published_at IS NULL`,
	} {
		if !strings.Contains(whole, want) {
			t.Errorf("the diff against an empty database lacks %s:\n%s", want, whole)
		}
	}
	if err := migrations.Up(ctx, discard, db); err != nil {
		t.Fatal(err)
	}
	diff, err := migrations.Diff(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if diff != "" {
		t.Fatalf("the migrations and ent/schema differ; Ent would run:\n%s", diff)
	}

	// Diff sees drift the other way too: what the schema lacks, what the database lacks.
	if _, err := db.ExecContext(ctx, `DROP INDEX outboxevent_seq; ALTER TABLE stock DROP CONSTRAINT stock_quantity_nonnegative; CREATE INDEX extra ON products (description)`); err != nil {
		t.Fatal(err)
	}
	diff, err = migrations.Diff(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`CREATE INDEX "outboxevent_seq"`, `ADD CONSTRAINT "stock_quantity_nonnegative"`, `DROP INDEX "extra"`} {
		if !strings.Contains(diff, want) {
			t.Errorf("after drift, the diff lacks %s:\n%s", want, diff)
		}
	}
}

func TestUpDown(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := emptyDB(t)
	steps := []struct {
		name        string
		apply       func() error
		wantTables  bool
		wantVersion int64
		wantState   string
	}{
		{"up", func() error { return migrations.Up(ctx, discard, db) }, true, 1, "applied"},
		{"up again is a no-op", func() error { return migrations.Up(ctx, discard, db) }, true, 1, "applied"},
		{"down to 0", func() error { return migrations.DownTo(ctx, discard, db, 0) }, false, 0, "pending"},
		{"up after down", func() error { return migrations.Up(ctx, discard, db) }, true, 1, "applied"},
		{"down one", func() error { return migrations.Down(ctx, discard, db) }, false, 0, "pending"},
	}
	for _, s := range steps {
		if err := s.apply(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var tables int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if (tables == 9) != s.wantTables || (tables != 0 && tables != 9) {
			t.Errorf("%s: %d tables, want all 9: %v", s.name, tables, s.wantTables)
		}
		v, err := migrations.Version(ctx, db)
		if err != nil || v != s.wantVersion {
			t.Errorf("%s: Version = %d, %v; want %d", s.name, v, err, s.wantVersion)
		}
		var status bytes.Buffer
		if err := migrations.Status(ctx, db, &status); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(status.String(), s.wantState) || !strings.Contains(status.String(), "00001_init.sql") {
			t.Errorf("%s: status =\n%s\nwant %s", s.name, status.String(), s.wantState)
		}
	}
}
