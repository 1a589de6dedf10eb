// Package testenv gives integration tests a database of their own on the PostgreSQL server
// DATABASE_URL names, and skips them, saying why, when it is unset. It knows nothing of
// RabbitMQ: the packages that talk AMQP keep their own helpers.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/internal/migrations"
	"example.com/gopher-template/ecommerce/internal/pgdb"
)

const cleanupTimeout = 30 * time.Second

// DatabaseURL creates an empty database named test_ecommerce_<random> on the server
// DATABASE_URL points to and returns its URL; it is dropped, connections and all, when the test
// ends. Skips the test when DATABASE_URL is unset.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		tb.Skip("DATABASE_URL is not set; set it to a PostgreSQL server URL, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, to run this test")
	}
	u, err := url.Parse(admin)
	if err != nil || u.Scheme == "" {
		tb.Fatalf("DATABASE_URL must be a postgres:// URL: %v", err)
	}
	name := "test_ecommerce_" + strings.ToLower(rand.Text()[:12])
	ctx, cancel := context.WithTimeout(tb.Context(), cleanupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to DATABASE_URL: %v", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() { dropDatabase(tb, admin, name) })
	u.Path = "/" + name
	return u.String()
}

func dropDatabase(tb testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Errorf("connect to drop database %s: %v", name, err)
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		tb.Errorf("drop database %s: %v", name, err)
	}
}

// DefaultMaxConns bounds the pools DB and Client open.
const DefaultMaxConns = 20

// DB returns a pool on a fresh database with every migration applied, closed when the test
// ends.
func DB(tb testing.TB) *sql.DB {
	tb.Helper()
	return DBAt(tb, DatabaseURL(tb), DefaultMaxConns)
}

// DBAt returns a pool of at most maxConns connections on the database at dbURL (a DatabaseURL,
// or one through a testproxy) with every migration applied, closed when the test ends.
func DBAt(tb testing.TB, dbURL string, maxConns int) *sql.DB {
	tb.Helper()
	ctx := tb.Context()
	db, err := pgdb.Open(ctx, pgdb.Options{URL: dbURL, MaxConns: maxConns})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	if err := migrations.Up(ctx, slog.New(slog.DiscardHandler), db); err != nil {
		tb.Fatal(err)
	}
	return db
}

// Client returns an Ent client on a fresh, migrated database, closed when the test ends.
func Client(tb testing.TB) *ent.Client {
	tb.Helper()
	return pgdb.NewClient(DB(tb))
}
