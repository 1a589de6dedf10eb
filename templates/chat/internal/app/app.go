// Package app is the start-up and shutdown the two gRPC services share: the gRPC server, the
// HTTP server for probes and metrics, pprof when asked for, readiness mirrored into the gRPC
// health service, and the shutdown in order (health NOT_SERVING, streams ended, calls drained,
// then HTTP closed).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/httpserver"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/chat/internal/config"
	"example.com/gopher-template/chat/internal/grpcserver"
)

// readinessInterval is how often the checks run to update the gRPC health service.
const readinessInterval = 5 * time.Second

// GRPCService is what a gRPC binary serves.
type GRPCService struct {
	Common   config.Common
	GRPCAddr string
	Server   *grpcserver.Server
	// Services are the names the health service reports on, besides "" (the whole server).
	Services []string
	// Checks are the readiness checks, on /readyz and in the gRPC health service.
	Checks         []health.Check
	MetricsHandler http.Handler
	// BeforeStop, if set, runs first at shutdown (the chat service ends its streams).
	BeforeStop func()
}

// ServeGRPC runs svc until ctx ends or a server fails.
func ServeGRPC(ctx context.Context, logger *slog.Logger, svc GRPCService) error {
	grpcRunning, err := svc.Server.Start(ctx, svc.GRPCAddr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Healthz())
	mux.Handle("GET /readyz", health.Readyz(logger, svc.Checks...))
	mux.Handle("GET /metrics", svc.MetricsHandler)
	httpRunning, err := httpserver.Start(ctx, logger, "http", httpserver.New(svc.Common.HTTPAddr, logging.Middleware(logger)(mux), logger))
	if err != nil {
		grpcRunning.Stop(ctx, svc.Common.ShutdownTimeout)
		return err
	}
	var admin *httpserver.Running
	if svc.Common.AdminAddr != "" {
		if admin, err = httpserver.Start(ctx, logger, "admin", httpserver.NewAdmin(svc.Common.AdminAddr, logger)); err != nil {
			grpcRunning.Stop(ctx, svc.Common.ShutdownTimeout)
			return errors.Join(err, httpserver.ShutdownAll(ctx, svc.Common.ShutdownTimeout, httpRunning))
		}
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go mirrorReadiness(watchCtx, logger, svc)
	logger.InfoContext(ctx, "started", slog.String("grpc_addr", grpcRunning.Addr()), slog.String("http_addr", httpRunning.Addr()))

	var failure error
	select {
	case <-ctx.Done():
		logger.InfoContext(ctx, "shutting down", slog.Duration("timeout", svc.Common.ShutdownTimeout))
	case failure = <-grpcRunning.Err():
	case failure = <-httpRunning.Err():
	case failure = <-admin.Err():
	}
	stopWatching()
	// One deadline for the whole shutdown (the orchestrator's grace period is sized to it).
	deadline := time.Now().Add(svc.Common.ShutdownTimeout)
	if svc.BeforeStop != nil {
		svc.BeforeStop()
	}
	grpcRunning.Stop(ctx, time.Until(deadline))
	return errors.Join(failure, httpserver.ShutdownAll(ctx, time.Until(deadline), httpRunning, admin))
}

// mirrorReadiness keeps the gRPC health service in step with the readiness checks, so that gRPC
// health probes and clients see what /readyz sees.
func mirrorReadiness(ctx context.Context, logger *slog.Logger, svc GRPCService) {
	update := func() {
		checkCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		st := healthpb.HealthCheckResponse_SERVING
		if health.Evaluate(checkCtx, logger, svc.Checks...).Status == health.StatusUnavailable {
			st = healthpb.HealthCheckResponse_NOT_SERVING
		}
		if ctx.Err() != nil {
			return // shutting down: Stop sets NOT_SERVING itself
		}
		svc.Server.Health.SetServingStatus("", st)
		for _, name := range svc.Services {
			svc.Server.Health.SetServingStatus(name, st)
		}
	}
	update()
	t := time.NewTicker(readinessInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			update()
		}
	}
}

// Subcommand is one of a binary's commands besides serve.
type Subcommand struct {
	Usage string
	Run   func(ctx context.Context, args []string) error
}

// Dispatch runs args[1] (serve by default) from commands; help prints the usage.
func Dispatch(ctx context.Context, name string, args []string, stdout, stderr io.Writer, commands map[string]Subcommand, order []string) error {
	cmd, rest := "serve", []string(nil)
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	usage := func(w io.Writer) {
		var b strings.Builder
		fmt.Fprintf(&b, "usage: %s [command]\n\ncommands:\n", name)
		for _, c := range order {
			fmt.Fprintf(&b, "  %-28s %s\n", c, commands[c].Usage)
		}
		b.WriteString("\nConfiguration is read from the environment; see README.md.\n")
		_, _ = io.WriteString(w, b.String())
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	c, ok := commands[cmd]
	if !ok {
		usage(stderr)
		return fmt.Errorf("unknown command %q", cmd)
	}
	return c.Run(ctx, rest)
}
