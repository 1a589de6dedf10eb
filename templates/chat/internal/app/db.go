package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/gopher-template/chat/internal/migrations"
	"example.com/gopher-template/chat/internal/pgdb"
)

// OpenDatabase opens the pool and, when migrate is set, applies the schema's pending migrations.
func OpenDatabase(ctx context.Context, logger *slog.Logger, url string, maxConns int32, schema migrations.Schema, migrate bool) (*pgxpool.Pool, error) {
	pool, err := pgdb.Open(ctx, pgdb.Options{URL: url, MaxConns: maxConns})
	if err != nil {
		return nil, err
	}
	if migrate {
		db := pgdb.SQLDB(pool)
		err := migrations.Up(ctx, logger, db, schema)
		_ = db.Close()
		if err != nil {
			pool.Close()
			return nil, err
		}
	}
	return pool, nil
}

// DatabaseCommands are the migrate and createdb commands of a service owning schema, on the
// database named by the DATABASE_URL that getenv returns.
func DatabaseCommands(schema migrations.Schema, getenv func(string) string, stdout io.Writer) map[string]Subcommand {
	url := func() (string, error) {
		u := getenv("DATABASE_URL")
		if u == "" {
			return "", fmt.Errorf("config: DATABASE_URL is required")
		}
		return u, nil
	}
	return map[string]Subcommand{
		"migrate": {Usage: "[up|down|status] apply, roll back or list the migrations (default up)", Run: func(ctx context.Context, args []string) error {
			u, err := url()
			if err != nil {
				return err
			}
			if len(args) > 1 {
				return fmt.Errorf("migrate: unexpected arguments %q", args[1:])
			}
			direction := "up"
			if len(args) == 1 {
				direction = args[0]
			}
			pool, err := pgdb.Open(ctx, pgdb.Options{URL: u, MaxConns: 2})
			if err != nil {
				return err
			}
			defer pool.Close()
			db := pgdb.SQLDB(pool)
			defer db.Close()
			logger := slog.New(slog.NewJSONHandler(stdout, nil))
			switch direction {
			case "up":
				return migrations.Up(ctx, logger, db, schema)
			case "down":
				return migrations.Down(ctx, logger, db, schema)
			case "status":
				return migrations.Status(ctx, db, schema, stdout)
			default:
				return fmt.Errorf("migrate: unknown direction %q (want up, down or status)", direction)
			}
		}},
		"createdb": {Usage: "create the database of DATABASE_URL unless it exists", Run: func(ctx context.Context, _ []string) error {
			u, err := url()
			if err != nil {
				return err
			}
			name, created, err := pgdb.CreateDatabase(ctx, u)
			if err != nil {
				return err
			}
			if created {
				_, err = fmt.Fprintf(stdout, "created database %s\n", name)
			} else {
				_, err = fmt.Fprintf(stdout, "database %s exists already\n", name)
			}
			return err
		}},
	}
}
