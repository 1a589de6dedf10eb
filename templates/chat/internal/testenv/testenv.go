// Package testenv gives integration tests isolated resources on the real services named by
// DATABASE_URL and NATS_URL, and skips them, saying why, when those are unset. Its Proxy lets a
// test cut a service off from the code under test, and restore it.
package testenv

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/gopher-template/chat/internal/migrations"
	"example.com/gopher-template/chat/internal/pgdb"
)

const cleanupTimeout = 30 * time.Second

// DatabaseURL creates a database with a random name on the server DATABASE_URL points to and
// returns its URL; it is dropped when the test ends. Skips the test when DATABASE_URL is unset.
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
	name := "test_chat_" + strings.ToLower(rand.Text()[:12])
	ctx := tb.Context()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to DATABASE_URL: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("connect to drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// Pool returns a pool on a fresh database with schema applied, closed when the test ends.
func Pool(tb testing.TB, schema migrations.Schema) *pgxpool.Pool {
	tb.Helper()
	return PoolAt(tb, DatabaseURL(tb), schema)
}

// PoolAt returns a pool on the database at dbURL (a DatabaseURL, or one through a Proxy) with
// schema applied, closed when the test ends.
func PoolAt(tb testing.TB, dbURL string, schema migrations.Schema) *pgxpool.Pool {
	tb.Helper()
	ctx := tb.Context()
	pool, err := pgdb.Open(ctx, pgdb.Options{URL: dbURL})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	db := pgdb.SQLDB(pool)
	defer db.Close()
	if err := migrations.Up(ctx, discard(), db, schema); err != nil {
		tb.Fatal(err)
	}
	return pool
}

// NATS returns NATS_URL and a random subject prefix of the test's own, so that tests running
// side by side on one server never see each other's messages (core NATS keeps nothing, so there
// is nothing to delete afterwards). Skips the test when NATS_URL is unset.
func NATS(tb testing.TB) (natsURL, prefix string) {
	tb.Helper()
	natsURL = os.Getenv("NATS_URL")
	if natsURL == "" {
		tb.Skip("NATS_URL is not set; set it to a NATS server URL, e.g. nats://127.0.0.1:4222, to run this test")
	}
	return natsURL, "test_" + strings.ToLower(rand.Text()[:12])
}
