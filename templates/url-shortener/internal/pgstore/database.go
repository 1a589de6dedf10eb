package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// invalidCatalogName is PostgreSQL's SQLSTATE for a database that does not exist.
const invalidCatalogName = "3D000"

// maintenanceDatabase is the database every PostgreSQL server has, which
// CreateDatabase connects to.
const maintenanceDatabase = "postgres"

// ErrNoDatabase means the server is reachable but the database of the URL
// does not exist: CreateDatabase (the createdb command, make db) creates it.
var ErrNoDatabase = errors.New("database does not exist")

// explainConnectError turns a missing database into ErrNoDatabase, worded
// for the person who runs the service, and leaves other errors as they are.
func explainConnectError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == invalidCatalogName {
		return noDatabaseError{message: pgErr.Message}
	}
	return err
}

// noDatabaseError is ErrNoDatabase in the server's words, with the fix.
type noDatabaseError struct{ message string }

func (e noDatabaseError) Error() string {
	return e.message + "; create it with `make db` (the createdb command)"
}

func (noDatabaseError) Is(target error) bool { return target == ErrNoDatabase }

// CreateDatabase creates the database that url names, unless it exists, by
// connecting to the same server's maintenance database as the same user
// (who needs the CREATEDB privilege). It returns the database's name and
// whether it created it.
func CreateDatabase(ctx context.Context, url string) (name string, created bool, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "", false, fmt.Errorf("postgres: parse URL: %w", err)
	}
	name = cfg.Database
	if name == "" || name == maintenanceDatabase {
		return maintenanceDatabase, false, nil
	}
	cfg.Database = maintenanceDatabase
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return name, false, fmt.Errorf("postgres: connect to %s to create %s: %w", maintenanceDatabase, name, err)
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
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == duplicateDatabase {
			return name, false, nil // created meanwhile by someone else
		}
		return name, false, fmt.Errorf("postgres: create database %s: %w", name, err)
	}
	return name, true, nil
}

// duplicateDatabase is PostgreSQL's SQLSTATE for CREATE DATABASE of a name taken.
const duplicateDatabase = "42P04"
