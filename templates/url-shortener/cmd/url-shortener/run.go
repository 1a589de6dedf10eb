package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"example.com/gopher-template/plumbing/httpserver"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/url-shortener/internal/config"
	"example.com/gopher-template/url-shortener/internal/migrations"
	"example.com/gopher-template/url-shortener/internal/pgstore"
)

const usage = "usage: " + config.AppName + ` [command]

commands:
  serve                     run the HTTP server (default)
  migrate [up|down|status]  apply, roll back or list database migrations (default up)
  createdb                  create the database of DATABASE_URL unless it exists
  healthcheck               exit 0 if the local server answers /healthz
  version                   print the version

Configuration is read from the environment; see README.md.
`

// run is the real main: it parses args, reads configuration through getenv
// and returns instead of exiting, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd, rest := "serve", []string(nil)
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv, stdout)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout)
	case "createdb":
		return createDatabase(ctx, getenv, stdout)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "version":
		_, err := fmt.Fprintln(stdout, version)
		return err
	case "help", "-h", "-help", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		_, _ = io.WriteString(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// migrate runs the migrate command: up (default), down or status.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.LoadMigrate(ctx, getenv)
	if err != nil {
		return err
	}
	apply, err := migration(args, stdout)
	if err != nil {
		return err
	}
	logger := logging.New(stdout, cfg.LogLevel)
	db, err := pgstore.Open(ctx, logger, postgresOptions(cfg.Postgres))
	if err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer closeWith(ctx, logger, "postgres", sqlDB.Close)
	return apply(ctx, logger, sqlDB)
}

// createDatabase runs the createdb command: a first-time step, before
// migrate or serve, where nothing (docker compose, say) made the database.
func createDatabase(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.LoadMigrate(ctx, getenv)
	if err != nil {
		return err
	}
	name, created, err := pgstore.CreateDatabase(ctx, cfg.Postgres.URL)
	if err != nil {
		return err
	}
	if created {
		_, err = fmt.Fprintf(stdout, "created database %s\n", name)
	} else {
		_, err = fmt.Fprintf(stdout, "database %s exists already\n", name)
	}
	return err
}

// migration returns what the arguments of the migrate command ask for.
func migration(args []string, stdout io.Writer) (func(context.Context, *slog.Logger, *sql.DB) error, error) {
	if len(args) > 1 {
		return nil, fmt.Errorf("migrate: unexpected arguments %q", args[1:])
	}
	direction := "up"
	if len(args) > 0 {
		direction = args[0]
	}
	switch direction {
	case "up":
		return migrations.Up, nil
	case "down":
		return migrations.Down, nil
	case "status":
		return func(ctx context.Context, _ *slog.Logger, db *sql.DB) error { return migrations.Status(ctx, db, stdout) }, nil
	default:
		return nil, fmt.Errorf("migrate: unknown direction %q (want up, down or status)", direction)
	}
}

// healthcheck GETs /healthz on the local server. The image has no shell or
// curl, so its HEALTHCHECK runs this.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	cfg, err := config.LoadListen(ctx, getenv)
	if err != nil {
		return err
	}
	return httpserver.Healthcheck(ctx, cfg.HTTPAddr)
}

func postgresOptions(c config.Postgres) pgstore.Options {
	return pgstore.Options{
		URL:             c.URL,
		MaxOpenConns:    c.MaxOpenConns,
		MaxIdleConns:    c.MaxIdleConns,
		ConnMaxLifetime: c.ConnMaxLifetime,
	}
}

func closeWith(ctx context.Context, logger *slog.Logger, name string, closeFn func() error) {
	if err := closeFn(); err != nil {
		logger.WarnContext(ctx, "close failed", slog.String("resource", name), slog.Any("error", err))
	}
}
