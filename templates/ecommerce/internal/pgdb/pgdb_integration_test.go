//go:build integration

package pgdb_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"example.com/gopher-template/ecommerce/internal/pgdb"
	"example.com/gopher-template/ecommerce/internal/testenv"
)

func TestOpenMissingDatabase(t *testing.T) {
	t.Parallel()
	u := withDatabase(t, testenv.DatabaseURL(t), "test_ecommerce_never_created")
	_, err := pgdb.Open(t.Context(), pgdb.Options{URL: u})
	if !errors.Is(err, pgdb.ErrNoDatabase) || !strings.Contains(err.Error(), "createdb") {
		t.Fatalf("Open(missing database) = %v, want ErrNoDatabase naming the createdb command", err)
	}
}

func TestOpenAndClient(t *testing.T) {
	t.Parallel()
	db, err := pgdb.Open(t.Context(), pgdb.Options{URL: testenv.DatabaseURL(t), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	client := pgdb.NewClient(db)
	defer func() { _ = client.Close() }()
	rows, err := client.QueryContext(t.Context(), "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	_ = rows.Close()
	if got := db.Stats().MaxOpenConnections; got != 2 {
		t.Errorf("MaxOpenConnections = %d, want 2", got)
	}
}

func TestCreateDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	existing := testenv.DatabaseURL(t)
	name, created, err := pgdb.CreateDatabase(ctx, existing)
	if err != nil || created || !strings.HasPrefix(name, "test_ecommerce_") {
		t.Errorf("CreateDatabase(existing) = %q, %v, %v; want not created", name, created, err)
	}

	// A name of our own, dropped at the end.
	fresh := name + "_fresh"
	t.Cleanup(func() { dropDatabase(t, fresh) })
	name, created, err = pgdb.CreateDatabase(ctx, withDatabase(t, existing, fresh))
	if err != nil || !created || name != fresh {
		t.Fatalf("CreateDatabase(new) = %q, %v, %v; want %q created", name, created, err, fresh)
	}
	db, err := pgdb.Open(ctx, pgdb.Options{URL: withDatabase(t, existing, fresh)})
	if err != nil {
		t.Fatalf("Open after createdb: %v", err)
	}
	_ = db.Close()
	if _, created, err := pgdb.CreateDatabase(ctx, withDatabase(t, existing, fresh)); err != nil || created {
		t.Errorf("CreateDatabase(again) = %v, %v; want not created", created, err)
	}
}

func withDatabase(t *testing.T, dbURL, name string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func dropDatabase(t *testing.T, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Error(err)
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Error(err)
	}
}
