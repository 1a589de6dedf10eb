//go:build integration

package migrations_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"example.com/gopher-template/url-shortener/internal/migrations"
	"example.com/gopher-template/url-shortener/internal/testenv"
)

func TestUpDown(t *testing.T) {
	t.Parallel()
	db := openDB(t, testenv.Postgres(t))
	logger := slog.New(slog.DiscardHandler)
	ctx := t.Context()

	steps := []struct {
		name      string
		apply     func() error
		wantTable bool
		wantState string
	}{
		{name: "up", apply: func() error { return migrations.Up(ctx, logger, db) }, wantTable: true, wantState: "applied"},
		{name: "up again is a no-op", apply: func() error { return migrations.Up(ctx, logger, db) }, wantTable: true, wantState: "applied"},
		{name: "down", apply: func() error { return migrations.Down(ctx, logger, db) }, wantTable: false, wantState: "pending"},
		{name: "up after down", apply: func() error { return migrations.Up(ctx, logger, db) }, wantTable: true, wantState: "applied"},
	}
	for _, s := range steps {
		if err := s.apply(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var exists bool
		if err := db.QueryRowContext(ctx, "SELECT to_regclass('public.links') IS NOT NULL").Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != s.wantTable {
			t.Fatalf("%s: links table exists = %v, want %v", s.name, exists, s.wantTable)
		}
		var status bytes.Buffer
		if err := migrations.Status(ctx, db, &status); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(status.String(), s.wantState) || !strings.Contains(status.String(), "00001_create_links.sql") {
			t.Errorf("%s: status =\n%s\nwant %s", s.name, status.String(), s.wantState)
		}
	}
}

func openDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() })
	return db
}
