package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/internal/config"
	"example.com/gopher-template/ecommerce/internal/migrations"
	"example.com/gopher-template/ecommerce/internal/pgdb"
)

// OpenDatabase opens DATABASE_URL for a one-off command (two connections at most).
func OpenDatabase(ctx context.Context, getenv func(string) string) (*sql.DB, error) {
	url := getenv("DATABASE_URL")
	if url == "" {
		return nil, errors.New("config: DATABASE_URL is required")
	}
	return pgdb.Open(ctx, pgdb.Options{URL: url, MaxConns: 2})
}

// OpenMigrated opens the pool a binary serves with, and an Ent client on it, for the database
// cfg names; it fails, closing what it opened, when migrations are pending. Closing the client
// closes the pool.
func OpenMigrated(ctx context.Context, cfg config.Common) (*sql.DB, *ent.Client, error) {
	db, err := pgdb.Open(ctx, pgdb.Options{URL: cfg.DatabaseURL, MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, nil, err
	}
	client := pgdb.NewClient(db)
	if err := RequireMigrated(ctx, db); err != nil {
		return nil, nil, errors.Join(err, client.Close())
	}
	return db, client, nil
}

// RequireMigrated fails when migrations are pending: the binaries never migrate on their own
// (the migrate command, or compose's migrate service, does it before they start).
func RequireMigrated(ctx context.Context, db *sql.DB) error {
	p, err := migrations.NewProvider(db)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if pending {
		return errors.New("the database has migrations pending; run the migrate command first (make migrate, or api migrate up)")
	}
	return nil
}

// DatabaseCommands are the subcommands that manage the database DATABASE_URL names: migrate
// (up, down, status, diff) and createdb.
func DatabaseCommands(getenv func(string) string, stdout io.Writer) map[string]Subcommand {
	return map[string]Subcommand{
		"migrate": {Usage: "[up|down|status|diff] apply, roll back one, list, or show what Ent's schema adds (default up)", Run: func(ctx context.Context, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("migrate: unexpected arguments %q", args[1:])
			}
			direction := "up"
			if len(args) == 1 {
				direction = args[0]
			}
			db, err := OpenDatabase(ctx, getenv)
			if err != nil {
				return err
			}
			defer db.Close()
			logger := slog.New(slog.NewJSONHandler(stdout, nil))
			switch direction {
			case "up":
				return migrations.Up(ctx, logger, db)
			case "down":
				return migrations.Down(ctx, logger, db)
			case "status":
				return migrations.Status(ctx, db, stdout)
			case "diff":
				// What a new migration needs: the SQL Ent's schema diff gives against this
				// (migrated) database; nothing when schema and migrations agree.
				if err := RequireMigrated(ctx, db); err != nil {
					return err
				}
				sql, err := migrations.Diff(ctx, db)
				if err != nil {
					return err
				}
				_, err = io.WriteString(stdout, sql)
				return err
			default:
				return fmt.Errorf("migrate: unknown direction %q (up, down, status or diff)", direction)
			}
		}},
		"createdb": {Usage: "create the database DATABASE_URL names unless it exists", Run: func(ctx context.Context, _ []string) error {
			url := getenv("DATABASE_URL")
			if url == "" {
				return errors.New("config: DATABASE_URL is required")
			}
			name, created, err := pgdb.CreateDatabase(ctx, url)
			if err != nil {
				return err
			}
			if created {
				_, err = fmt.Fprintf(stdout, "created database %s\n", name)
			} else {
				_, err = fmt.Fprintf(stdout, "database %s exists\n", name)
			}
			return err
		}},
	}
}
