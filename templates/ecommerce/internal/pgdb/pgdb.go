// Package pgdb opens the PostgreSQL database the shop keeps everything in, as a database/sql
// pool on the pgx driver with an Ent client on top, and creates that database on first start-up
// where nothing else made it. It never changes the schema: internal/migrations does.
package pgdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"example.com/gopher-template/ecommerce/ent"
)

// Options configure the pool.
type Options struct {
	// URL is a postgres:// URL (or a key=value DSN).
	URL string
	// MaxConns bounds the open connections; 0 means 10.
	MaxConns int
	// ConnectTimeout bounds each new connection and the first ping, so that start-up fails
	// fast when the server is down; 0 means 10 s.
	ConnectTimeout time.Duration
}

const (
	defaultMaxConns       = 10
	defaultConnectTimeout = 10 * time.Second
)

// Open returns a pool for opts.URL after a successful ping. Closing the *sql.DB (or the Ent
// client made on it) closes the pool.
func Open(ctx context.Context, opts Options) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse URL: %w", err)
	}
	timeout := opts.ConnectTimeout
	if timeout <= 0 {
		timeout = defaultConnectTimeout
	}
	cfg.ConnectTimeout = timeout
	maxConns := opts.MaxConns
	if maxConns <= 0 {
		maxConns = defaultMaxConns
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)

	pingCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: %w", explainConnectError(err))
	}
	return db, nil
}

// NewClient returns an Ent client on db. Closing the client closes db.
func NewClient(db *sql.DB) *ent.Client {
	return ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, db)))
}

// SQLSTATEs this package and the store look for.
const (
	invalidCatalogName = "3D000"
	duplicateDatabase  = "42P04"
	// UniqueViolation is a unique constraint's SQLSTATE.
	UniqueViolation = "23505"
	// ForeignKeyViolation is a foreign key's SQLSTATE.
	ForeignKeyViolation = "23503"
	// CheckViolation is a CHECK constraint's SQLSTATE.
	CheckViolation = "23514"
)

// IsCode reports whether err is, or wraps, a PostgreSQL error with the given SQLSTATE.
func IsCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// ErrNoDatabase means the server is reachable but the URL's database does not exist: the
// createdb command creates it.
var ErrNoDatabase = errors.New("database does not exist; create it with the createdb command")

func explainConnectError(err error) error {
	if IsCode(err, invalidCatalogName) {
		return fmt.Errorf("%w: %w", ErrNoDatabase, err)
	}
	return err
}

// CreateDatabase creates the database that url names unless it exists, connecting to the
// server's "postgres" database as the same user. It reports the name and whether it created it.
func CreateDatabase(ctx context.Context, url string) (name string, created bool, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "", false, fmt.Errorf("postgres: parse URL: %w", err)
	}
	name = cfg.Database
	if name == "" || name == "postgres" {
		return "postgres", false, nil
	}
	cfg.Database = "postgres"
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return name, false, fmt.Errorf("postgres: connect to create %s: %w", name, err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return name, false, fmt.Errorf("postgres: look for database %s: %w", name, err)
	}
	if exists {
		return name, false, nil
	}
	// An identifier cannot be a parameter: Sanitize quotes it.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		if IsCode(err, duplicateDatabase) {
			return name, false, nil
		}
		return name, false, fmt.Errorf("postgres: create database %s: %w", name, err)
	}
	return name, true, nil
}
