//go:build integration

package migrations_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"example.com/gopher-template/chat/internal/migrations"
	"example.com/gopher-template/chat/internal/pgdb"
	"example.com/gopher-template/chat/internal/testenv"
)

func TestUpDown(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		schema migrations.Schema
		table  string
		file   string
	}{
		{migrations.Auth, "refresh_tokens", "00001_users_and_refresh_tokens.sql"},
		{migrations.Chat, "messages", "00001_rooms_and_messages.sql"},
	} {
		t.Run(string(tt.schema), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			pool, err := pgdb.Open(ctx, pgdb.Options{URL: testenv.DatabaseURL(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			db := pgdb.SQLDB(pool)
			defer db.Close()
			logger := slog.New(slog.DiscardHandler)
			steps := []struct {
				name      string
				apply     func() error
				wantTable bool
				wantState string
			}{
				{"up", func() error { return migrations.Up(ctx, logger, db, tt.schema) }, true, "applied"},
				{"up again is a no-op", func() error { return migrations.Up(ctx, logger, db, tt.schema) }, true, "applied"},
				{"down", func() error { return migrations.Down(ctx, logger, db, tt.schema) }, false, "pending"},
				{"up after down", func() error { return migrations.Up(ctx, logger, db, tt.schema) }, true, "applied"},
			}
			for _, s := range steps {
				if err := s.apply(); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				var exists bool
				if err := db.QueryRowContext(ctx, "SELECT to_regclass('public."+tt.table+"') IS NOT NULL").Scan(&exists); err != nil {
					t.Fatal(err)
				}
				if exists != s.wantTable {
					t.Fatalf("%s: table %s exists = %v, want %v", s.name, tt.table, exists, s.wantTable)
				}
				var status bytes.Buffer
				if err := migrations.Status(ctx, db, tt.schema, &status); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(status.String(), s.wantState) || !strings.Contains(status.String(), tt.file) {
					t.Errorf("%s: status =\n%s\nwant %s", s.name, status.String(), s.wantState)
				}
			}
		})
	}
}

func TestCreateDatabase(t *testing.T) {
	t.Parallel()
	url := testenv.DatabaseURL(t) // exists already
	name, created, err := pgdb.CreateDatabase(t.Context(), url)
	if err != nil || created || !strings.HasPrefix(name, "test_chat_") {
		t.Errorf("CreateDatabase(existing) = %q, %v, %v; want not created", name, created, err)
	}
}
