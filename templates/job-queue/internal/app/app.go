// Package app is the start-up and shutdown both binaries share: subcommands, settings, logger,
// NATS and its streams, the metrics registry, the HTTP servers, and a graceful shutdown. A binary
// only says what it builds on top (Command.Build).
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/httpserver"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/job-queue/internal/config"
	"example.com/gopher-template/job-queue/internal/queue"
)

// Settings is what the shared start-up reads from a binary's configuration.
type Settings interface {
	Shared() config.Common
}

// Command is one binary.
type Command[S Settings] struct {
	// Name is the binary's name: the "service" of its log lines, part of its NATS client name.
	Name string
	// Version is set at build time.
	Version string
	// Load reads and validates the binary's settings.
	Load func(ctx context.Context, getenv func(string) string) (S, error)
	// Build makes the binary's own part from what the shared start-up made.
	Build func(ctx context.Context, deps Deps, settings S) (Service, error)
}

// Deps are what the shared start-up made, for Build.
type Deps struct {
	Logger *slog.Logger
	JS     jetstream.JetStream
	Names  queue.Names
	// Registry holds the Go runtime, process and queue-depth collectors; Build adds its own.
	Registry *prometheus.Registry
	// MetricsHandler serves Registry, for /metrics.
	MetricsHandler http.Handler
	// Checks are the readiness checks of /readyz: the NATS connection, required.
	Checks []health.Check
}

// Service is a binary's own part.
type Service struct {
	// Handler is served on HTTP_ADDR, behind logging.Middleware.
	Handler http.Handler
	// Run, if set, is the binary's own work. It runs until its context ends; returning earlier
	// stops the binary.
	Run func(ctx context.Context) error
	// Drain, if set, runs at shutdown once Run has returned and before the HTTP servers close,
	// within SHUTDOWN_TIMEOUT.
	Drain func(ctx context.Context) error
	// Attrs are added to the start-up log line.
	Attrs []slog.Attr
}

// Main runs the binary: `version` and `healthcheck` subcommands, or the service itself until
// SIGINT or SIGTERM. args, getenv, stdout and stderr stand for the process's own.
func Main[S Settings](ctx context.Context, cmd Command[S], args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 {
		return cmd.subcommand(ctx, args[1], getenv, stdout)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	settings, err := cmd.Load(ctx, getenv)
	if err != nil {
		return err
	}
	shared := settings.Shared()
	logger := logging.New(stderr, shared.LogLevel).
		With(slog.String("service", cmd.Name), slog.String("version", cmd.Version))

	deps, closeNATS, err := connect(ctx, cmd.Name, shared, logger)
	if err != nil {
		return err
	}
	defer closeNATS()

	svc, err := cmd.Build(ctx, deps, settings)
	if err != nil {
		return err
	}
	svc.Attrs = append(svc.Attrs, slog.String("stream_prefix", deps.Names.Prefix))
	return serve(ctx, logger, cmd.Name, shared, svc)
}

func (cmd Command[S]) subcommand(ctx context.Context, name string, getenv func(string) string, stdout io.Writer) error {
	switch name {
	case "version":
		_, err := fmt.Fprintln(stdout, cmd.Version)
		return err
	case "healthcheck":
		settings, err := cmd.Load(ctx, getenv)
		if err != nil {
			return err
		}
		return httpserver.Healthcheck(ctx, settings.Shared().HTTPAddr)
	default:
		return fmt.Errorf("unknown command %q (want version or healthcheck)", name)
	}
}
