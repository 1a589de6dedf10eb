// Package testenv gives tests isolated resources on the real services named
// by DATABASE_URL and REDIS_URL, and skips them when those are unset. Its
// Proxy lets a test cut a service off from the code under test.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

const cleanupTimeout = 30 * time.Second

// Postgres creates a database with a random name on the server that
// DATABASE_URL points to and returns its URL. The database is dropped when
// the test ends. The test is skipped when DATABASE_URL is unset.
func Postgres(tb testing.TB) string {
	tb.Helper()
	dbURL, name := MissingPostgres(tb)
	ctx := tb.Context()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		tb.Fatalf("connect to DATABASE_URL: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Identifiers cannot be bound as parameters; the name is sanitised and random.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	return dbURL
}

// MissingPostgres returns the URL and name of a database with a random name
// on the server that DATABASE_URL points to, which does not exist: for tests
// of what creates it. It is dropped, if it exists, when the test ends. The
// test is skipped when DATABASE_URL is unset.
func MissingPostgres(tb testing.TB) (dbURL, name string) {
	tb.Helper()
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		tb.Skip("DATABASE_URL is not set; set it to a PostgreSQL server URL, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, to run this test")
	}
	u, err := url.Parse(admin)
	if err != nil || u.Scheme == "" {
		tb.Fatalf("DATABASE_URL must be a postgres:// URL: %v", err)
	}
	name = "test_" + randomHex(tb, 8)
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
	return u.String(), name
}

// Redis returns REDIS_URL and a random key prefix. Keys under the prefix are
// deleted when the test ends. The test is skipped when REDIS_URL is unset.
func Redis(tb testing.TB) (redisURL, prefix string) {
	tb.Helper()
	redisURL = os.Getenv("REDIS_URL")
	if redisURL == "" {
		tb.Skip("REDIS_URL is not set; set it to a Redis URL, e.g. redis://127.0.0.1:6379/0, to run this test")
	}
	opts, err := goredis.ParseURL(redisURL)
	if err != nil {
		tb.Fatalf("parse REDIS_URL: %v", err)
	}
	prefix = "test:" + randomHex(tb, 8) + ":"
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		client := goredis.NewClient(opts)
		defer client.Close()
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			if err := client.Del(ctx, iter.Val()).Err(); err != nil {
				tb.Errorf("delete %s: %v", iter.Val(), err)
			}
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("scan %s*: %v", prefix, err)
		}
	})
	return redisURL, prefix
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}
