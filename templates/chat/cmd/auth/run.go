package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/httpserver"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/chat/internal/app"
	"example.com/gopher-template/chat/internal/auth"
	"example.com/gopher-template/chat/internal/authgrpc"
	"example.com/gopher-template/chat/internal/authpg"
	"example.com/gopher-template/chat/internal/config"
	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
	"example.com/gopher-template/chat/internal/jwtauth"
	"example.com/gopher-template/chat/internal/metrics"
	"example.com/gopher-template/chat/internal/migrations"
	"example.com/gopher-template/chat/internal/password"
)

// run is the real main: it parses args, reads configuration through getenv and returns instead
// of exiting, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	commands := app.DatabaseCommands(migrations.Auth, getenv, stdout)
	commands["serve"] = app.Subcommand{Usage: "serve gRPC and the probes (default)", Run: func(ctx context.Context, _ []string) error {
		return serve(ctx, getenv, stderr)
	}}
	commands["keys"] = app.Subcommand{Usage: "[dir] write a new Ed25519 key pair for the JWTs (default keys/)", Run: func(_ context.Context, args []string) error {
		return writeKeys(args, stdout)
	}}
	commands["healthcheck"] = app.Subcommand{Usage: "exit 0 if the local server answers /healthz", Run: func(ctx context.Context, _ []string) error {
		return httpserver.Healthcheck(ctx, config.LoadHTTPAddr(getenv, ":8081"))
	}}
	commands["version"] = app.Subcommand{Usage: "print the version", Run: func(context.Context, []string) error {
		_, err := fmt.Fprintln(stdout, version)
		return err
	}}
	return app.Dispatch(ctx, "auth", args, stdout, stderr, commands, []string{"serve", "migrate", "createdb", "keys", "healthcheck", "version"})
}

func writeKeys(args []string, stdout io.Writer) error {
	dir := "keys"
	if len(args) > 0 {
		dir = args[0]
	}
	priv, pub, err := jwtauth.WriteKeyFiles(dir)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s (private: the auth service only) and %s (public: chat and gateway)\n", priv, pub)
	return err
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.LoadAuth(ctx, getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stderr, cfg.LogLevel).With(slog.String("service", "auth"), slog.String("version", version))
	key, err := jwtauth.LoadPrivateKey(cfg.PrivateKeyPEM, cfg.PrivateKeyFile)
	if err != nil {
		return err
	}
	issuer, err := jwtauth.NewIssuer(key, jwtauth.IssuerOptions{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, TTL: cfg.AccessTokenTTL})
	if err != nil {
		return err
	}
	pool, err := app.OpenDatabase(ctx, logger, cfg.DatabaseURL, cfg.DBMaxConns, migrations.Auth, cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer pool.Close()

	reg, err := metrics.NewRegistry()
	if err != nil {
		return err
	}
	recorder, err := metrics.NewAuth(reg, metrics.Namespace)
	if err != nil {
		return err
	}
	svc, err := auth.NewService(auth.Options{
		Store:           authpg.New(pool),
		Issuer:          issuer,
		Password:        password.Params{MemoryKiB: cfg.Argon2MemoryKiB, Iterations: cfg.Argon2Iterations, Parallelism: cfg.Argon2Parallelism},
		RefreshTTL:      cfg.RefreshTokenTTL,
		Recorder:        recorder,
		HashConcurrency: cfg.HashConcurrency,
	})
	if err != nil {
		return err
	}
	srv, err := grpcserver.New(grpcserver.Options{Logger: logger, Registerer: reg, Reflection: cfg.Reflection, DefaultTimeout: cfg.DefaultTimeout})
	if err != nil {
		return err
	}
	authv1.RegisterAuthServiceServer(srv.Server, authgrpc.New(logger, svc))
	return app.ServeGRPC(ctx, logger, app.GRPCService{
		Common:         cfg.Common,
		GRPCAddr:       cfg.GRPCAddr,
		Server:         srv,
		Services:       []string{authv1.AuthService_ServiceDesc.ServiceName},
		Checks:         []health.Check{{Name: "postgres", Required: true, Check: pool.Ping}},
		MetricsHandler: metrics.Handler(reg),
	})
}
