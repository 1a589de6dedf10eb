package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/httpserver"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/chat/internal/app"
	"example.com/gopher-template/chat/internal/config"
	"example.com/gopher-template/chat/internal/fanout"
	"example.com/gopher-template/chat/internal/gateway"
	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/grpcclient"
	"example.com/gopher-template/chat/internal/jwtauth"
	"example.com/gopher-template/chat/internal/metrics"
)

// run is the real main: it parses args, reads configuration through getenv and returns instead
// of exiting, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	commands := map[string]app.Subcommand{
		"serve": {Usage: "serve the REST API and the WebSockets (default)", Run: func(ctx context.Context, _ []string) error {
			return serve(ctx, getenv, stderr)
		}},
		"healthcheck": {Usage: "exit 0 if the local server answers /healthz", Run: func(ctx context.Context, _ []string) error {
			return httpserver.Healthcheck(ctx, config.LoadHTTPAddr(getenv, ":8080"))
		}},
		"version": {Usage: "print the version", Run: func(context.Context, []string) error {
			_, err := fmt.Fprintln(stdout, version)
			return err
		}},
	}
	return app.Dispatch(ctx, "gateway", args, stdout, stderr, commands, []string{"serve", "healthcheck", "version"})
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.LoadGateway(ctx, getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stderr, cfg.LogLevel).With(slog.String("service", "gateway"), slog.String("version", version))
	keys, err := jwtauth.LoadPublicKeys(cfg.PEM, cfg.Files)
	if err != nil {
		return err
	}
	verifier, err := jwtauth.NewVerifier(keys, jwtauth.VerifierOptions{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience})
	if err != nil {
		return err
	}
	nc, err := fanout.Connect(ctx, cfg.NATSURL, config.AppName+"-gateway", logger)
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
	clientMetrics := grpcprom.NewClientMetrics()
	if err := reg.Register(clientMetrics); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	authConn, err := grpcclient.Dial(cfg.AuthTarget, grpcclient.Options{Timeout: cfg.UpstreamTimeout, Metrics: clientMetrics})
	if err != nil {
		return err
	}
	defer authConn.Close()
	chatConn, err := grpcclient.Dial(cfg.ChatTarget, grpcclient.Options{Timeout: cfg.UpstreamTimeout, Metrics: clientMetrics})
	if err != nil {
		return err
	}
	defer chatConn.Close()
	recorder, err := metrics.NewGateway(reg, metrics.Namespace)
	if err != nil {
		return err
	}

	// The hub's subscriptions live until the sockets are closed at shutdown, not until the signal.
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHub()
	gw, err := gateway.New(ctx, logger, gateway.Options{
		Auth:     authv1.NewAuthServiceClient(authConn),
		Chat:     chatv1.NewChatServiceClient(chatConn),
		Verifier: verifier,
		Hub:      gateway.NewHub(hubCtx, logger, feed),
		WS: gateway.WSOptions{
			OriginPatterns: cfg.AllowedOrigins,
			SendQueue:      cfg.SendQueue,
			ReadLimit:      cfg.ReadLimit,
			PingInterval:   cfg.PingInterval,
			WriteTimeout:   cfg.WriteTimeout,
			MessageRate:    rate.Limit(cfg.MessageRate),
			MessageBurst:   cfg.MessageBurst,
		},
		Recorder:       recorder,
		MetricsHandler: metrics.Handler(reg),
		Checks: []health.Check{
			{Name: "auth", Required: true, Check: serving(authConn)},
			{Name: "chat", Required: true, Check: serving(chatConn)},
			{Name: "nats", Required: true, Check: fanout.Ready(nc)},
		},
	})
	if err != nil {
		return err
	}
	return serveUntilDone(ctx, logger, cfg, gw)
}

func serveUntilDone(ctx context.Context, logger *slog.Logger, cfg config.Gateway, gw *gateway.Gateway) error {
	srv, err := httpserver.Start(ctx, logger, "http", httpserver.New(cfg.HTTPAddr, logging.Middleware(logger)(gw), logger))
	if err != nil {
		return err
	}
	var admin *httpserver.Running
	if cfg.AdminAddr != "" {
		if admin, err = httpserver.Start(ctx, logger, "admin", httpserver.NewAdmin(cfg.AdminAddr, logger)); err != nil {
			return errors.Join(err, httpserver.ShutdownAll(ctx, cfg.ShutdownTimeout, srv))
		}
	}
	logger.InfoContext(ctx, "started", slog.String("http_addr", srv.Addr()))
	var failure error
	select {
	case <-ctx.Done():
		logger.InfoContext(ctx, "shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	case failure = <-srv.Err():
	case failure = <-admin.Err():
	}
	// One deadline for the whole shutdown (the orchestrator's grace period is sized to it).
	// WebSockets first: http.Server.Shutdown neither closes nor waits for hijacked connections.
	deadline := time.Now().Add(cfg.ShutdownTimeout)
	wsCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	failure = errors.Join(failure, gw.Shutdown(wsCtx))
	return errors.Join(failure, httpserver.ShutdownAll(ctx, time.Until(deadline), srv, admin))
}

// serving is the readiness check of an upstream: its gRPC health service says SERVING.
func serving(conn *grpc.ClientConn) func(context.Context) error {
	client := healthpb.NewHealthClient(conn)
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return fmt.Errorf("health check: %w", err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health check: %s", resp.GetStatus())
		}
		return nil
	}
}
