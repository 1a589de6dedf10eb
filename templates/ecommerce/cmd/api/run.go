package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/httpserver"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/app"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/config"
	"example.com/gopher-template/ecommerce/internal/httpapi"
	"example.com/gopher-template/ecommerce/internal/metrics"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/password"
	"example.com/gopher-template/ecommerce/internal/pgdb"
	"example.com/gopher-template/ecommerce/internal/store"
	"example.com/gopher-template/ecommerce/internal/token"
)

// run is the real main: it parses args, reads configuration through getenv and returns instead
// of exiting, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	commands := app.DatabaseCommands(getenv, stdout)
	commands["serve"] = app.Subcommand{Usage: "serve the API, the probes and the metrics (default)", Run: func(ctx context.Context, _ []string) error {
		return serve(ctx, getenv, stderr)
	}}
	commands["promote"] = app.Subcommand{Usage: "EMAIL make the account with this email an admin", Run: func(ctx context.Context, args []string) error {
		return promote(ctx, getenv, stdout, args)
	}}
	commands["healthcheck"] = app.Subcommand{Usage: "exit 0 if the local server answers /healthz", Run: func(ctx context.Context, _ []string) error {
		return httpserver.Healthcheck(ctx, config.LoadHTTPAddr(getenv, config.DefaultAPIHTTPAddr))
	}}
	commands["version"] = app.Subcommand{Usage: "print the version", Run: func(context.Context, []string) error {
		_, err := fmt.Fprintln(stdout, version)
		return err
	}}
	return app.Dispatch(ctx, "api", args, stdout, stderr, commands, []string{"serve", "migrate", "createdb", "promote", "healthcheck", "version"})
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.LoadAPI(ctx, getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stderr, cfg.LogLevel).With(slog.String("service", "api"), slog.String("version", version))
	db, client, err := app.OpenMigrated(ctx, cfg.Common)
	if err != nil {
		return err
	}
	defer client.Close()
	stores := store.New(client)

	reg, err := metrics.NewRegistry()
	if err != nil {
		return err
	}
	namespace := metrics.Namespace(config.AppName)
	httpMetrics, err := metrics.NewHTTP(reg, namespace)
	if err != nil {
		return err
	}
	orderMetrics, err := metrics.NewOrders(reg, namespace, ordering.RejectionReasons...)
	if err != nil {
		return err
	}

	tokens, err := token.New(token.Options{Secret: []byte(cfg.JWTSecret), Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, TTL: cfg.AccessTokenTTL})
	if err != nil {
		return err
	}
	hasher, err := password.NewHasher(password.HasherOptions{
		Params:      password.Params{MemoryKiB: cfg.Argon2MemoryKiB, Iterations: cfg.Argon2Iterations, Parallelism: cfg.Argon2Parallelism},
		Concurrency: cfg.HashConcurrency,
	})
	if err != nil {
		return err
	}
	accountService, err := accounts.NewService(ctx, accounts.Options{Repo: stores.Accounts, Hasher: hasher, Tokens: tokens})
	if err != nil {
		return err
	}
	cursorKey := []byte(cfg.CursorKey)
	catalogService, err := catalog.NewService(catalog.Options{Repo: stores.Catalog, CursorKey: cursorKey})
	if err != nil {
		return err
	}
	orderService, err := ordering.NewService(ordering.Options{
		Repo:              stores.Orders,
		CursorKey:         cursorKey,
		LowStockThreshold: cfg.LowStockThreshold,
		Recorder:          orderMetrics,
	})
	if err != nil {
		return err
	}
	checks := []health.Check{{Name: "postgres", Required: true, Check: db.PingContext}}
	handler, err := httpapi.New(ctx, httpapi.Options{
		Logger:         logger,
		Catalog:        catalogService,
		Accounts:       accountService,
		Orders:         orderService,
		Tokens:         tokens,
		RequestTimeout: cfg.RequestTimeout,
		Recorder:       httpMetrics,
		Extra: map[string]http.Handler{
			"/healthz": health.Healthz(),
			"/readyz":  health.Readyz(logger, checks...),
			"/metrics": metrics.Handler(reg),
		},
	})
	if err != nil {
		return err
	}
	return app.Serve(ctx, logger, app.Service{
		HTTPAddr:        cfg.HTTPAddr,
		AdminAddr:       cfg.AdminAddr,
		Handler:         logging.Middleware(logger)(handler),
		ShutdownTimeout: cfg.ShutdownTimeout,
	})
}

func promote(ctx context.Context, getenv func(string) string, stdout io.Writer, args []string) error {
	if len(args) != 1 || args[0] == "" {
		return fmt.Errorf("promote: usage: api promote EMAIL")
	}
	db, err := app.OpenDatabase(ctx, getenv)
	if err != nil {
		return err
	}
	client := pgdb.NewClient(db)
	defer client.Close()
	email := accounts.NormalizeEmail(args[0])
	if err := store.New(client).Accounts.SetRole(ctx, email, accounts.RoleAdmin); err != nil {
		return fmt.Errorf("promote %s: %w", email, err)
	}
	_, err = fmt.Fprintf(stdout, "%s is an admin now; tokens issued from the next login carry the role\n", email)
	return err
}
