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
	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/chatgrpc"
	"example.com/gopher-template/chat/internal/chatpg"
	"example.com/gopher-template/chat/internal/config"
	"example.com/gopher-template/chat/internal/fanout"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
	"example.com/gopher-template/chat/internal/jwtauth"
	"example.com/gopher-template/chat/internal/metrics"
	"example.com/gopher-template/chat/internal/migrations"
)

// run is the real main: it parses args, reads configuration through getenv and returns instead
// of exiting, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	commands := app.DatabaseCommands(migrations.Chat, getenv, stdout)
	commands["serve"] = app.Subcommand{Usage: "serve gRPC and the probes (default)", Run: func(ctx context.Context, _ []string) error {
		return serve(ctx, getenv, stderr)
	}}
	commands["healthcheck"] = app.Subcommand{Usage: "exit 0 if the local server answers /healthz", Run: func(ctx context.Context, _ []string) error {
		return httpserver.Healthcheck(ctx, config.LoadHTTPAddr(getenv, ":8082"))
	}}
	commands["version"] = app.Subcommand{Usage: "print the version", Run: func(context.Context, []string) error {
		_, err := fmt.Fprintln(stdout, version)
		return err
	}}
	return app.Dispatch(ctx, "chat", args, stdout, stderr, commands, []string{"serve", "migrate", "createdb", "healthcheck", "version"})
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.LoadChat(ctx, getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stderr, cfg.LogLevel).With(slog.String("service", "chat"), slog.String("version", version))
	keys, err := jwtauth.LoadPublicKeys(cfg.PEM, cfg.Files)
	if err != nil {
		return err
	}
	verifier, err := jwtauth.NewVerifier(keys, jwtauth.VerifierOptions{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience})
	if err != nil {
		return err
	}
	pool, err := app.OpenDatabase(ctx, logger, cfg.DatabaseURL, cfg.DBMaxConns, migrations.Chat, cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer pool.Close()
	nc, err := fanout.Connect(ctx, cfg.NATSURL, config.AppName+"-chat", logger)
	if err != nil {
		return err
	}
	defer nc.Close()
	feed, err := fanout.New(nc, cfg.SubjectPrefix, logger)
	if err != nil {
		return err
	}

	reg, err := metrics.NewRegistry()
	if err != nil {
		return err
	}
	srv, err := grpcserver.New(grpcserver.Options{Logger: logger, Verifier: verifier, Registerer: reg, Reflection: cfg.Reflection, DefaultTimeout: cfg.DefaultTimeout})
	if err != nil {
		return err
	}
	chatServer := chatgrpc.New(logger, chat.NewService(logger, chatpg.New(pool), feed))
	chatv1.RegisterChatServiceServer(srv.Server, chatServer)
	return app.ServeGRPC(ctx, logger, app.GRPCService{
		Common:   cfg.Common,
		GRPCAddr: cfg.GRPCAddr,
		Server:   srv,
		Services: []string{chatv1.ChatService_ServiceDesc.ServiceName},
		Checks: []health.Check{
			{Name: "postgres", Required: true, Check: pool.Ping},
			{Name: "nats", Required: true, Check: fanout.Ready(nc)},
		},
		MetricsHandler: metrics.Handler(reg),
		BeforeStop:     chatServer.CloseStreams,
	})
}
