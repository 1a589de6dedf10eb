// Package pgdb opens the PostgreSQL connection pool both data-owning services use, and creates
// a service's database on first start-up where nothing else made it.
package pgdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// Options configure the pool.
type Options struct {
	URL      string
	MaxConns int32
	// ConnectTimeout bounds the first connection, so that start-up fails fast when the server is
	// down.
	ConnectTimeout time.Duration
}

// Open returns a pool for opts.URL after a successful ping.
func Open(ctx context.Context, opts Options) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse URL: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, cmpDuration(opts.ConnectTimeout, 10*time.Second))
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", explainConnectError(err))
	}
	return pool, nil
}

// SQLDB returns a database/sql handle on the pool, for goose. Closing it does not close the pool.
func SQLDB(pool *pgxpool.Pool) *sql.DB { return stdlib.OpenDBFromPool(pool) }

func cmpDuration(d, fallback time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return fallback
}

// SQLSTATEs this package and the stores look for.
const (
	invalidCatalogName = "3D000"
	duplicateDatabase  = "42P04"
	// UniqueViolation is a unique constraint's SQLSTATE.
	UniqueViolation = "23505"
	// ForeignKeyViolation is a foreign key's SQLSTATE.
	ForeignKeyViolation = "23503"
)

// IsCode reports whether err is a PostgreSQL error with the given SQLSTATE.
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
// server's "postgres" database as the same user. It reports whether it created it.
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
