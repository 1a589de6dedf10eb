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

	"example.com/gopher-template/job-queue/internal/api"
	"example.com/gopher-template/job-queue/internal/config"
	"example.com/gopher-template/job-queue/internal/httpserver"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/metrics"
	"example.com/gopher-template/job-queue/internal/queue"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 {
		switch args[1] {
		case "version":
			_, err := fmt.Fprintln(stdout, version)
			return err
		case "healthcheck":
			cfg, err := config.LoadAPI(ctx, getenv)
			if err != nil {
				return err
			}
			return httpserver.Healthcheck(ctx, cfg.HTTPAddr)
		default:
			return fmt.Errorf("unknown command %q (want version or healthcheck)", args[1])
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := config.LoadAPI(ctx, getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).
		With(slog.String("service", "api"), slog.String("version", version))

	names, err := queue.NamesFor(cfg.StreamPrefix)
	if err != nil {
		return err
	}
	nc, js, err := queue.Open(ctx, cfg.NATSURL, "jobqueue-api", queue.Config{
		Names:            names,
		DuplicateWindow:  cfg.DuplicateWindow,
		RecordTTL:        cfg.RecordTTL,
		DeadLetterMaxAge: cfg.DeadLetterMaxAge,
	}, logger)
	if err != nil {
		return err
	}
	defer queue.Close(nc)

	store, err := queue.OpenStore(ctx, js, names)
	if err != nil {
		return err
	}
	svc, err := jobs.NewService(store, queue.NewPublisher(js, names), cfg.MaxAttempts)
	if err != nil {
		return err
	}
	reg, err := metrics.NewRegistry()
	if err != nil {
		return err
	}
	m, err := metrics.NewAPI(reg)
	if err != nil {
		return err
	}
	if err := reg.Register(queue.NewDepthCollector(js, names, logger)); err != nil {
		return fmt.Errorf("register depth collector: %w", err)
	}

	handler := api.NewServer(logger, api.Deps{
		Jobs:           svc,
		Metrics:        m,
		MetricsHandler: metrics.Handler(reg),
		Ready:          queue.Ready(nc),
	})
	srv, err := httpserver.Start(ctx, logger, "http", httpserver.New(cfg.HTTPAddr, handler))
	if err != nil {
		return err
	}
	var admin *httpserver.Running
	if cfg.AdminAddr != "" {
		if admin, err = httpserver.Start(ctx, logger, "admin", httpserver.NewAdmin(cfg.AdminAddr)); err != nil {
			return errors.Join(err, srv.Shutdown(context.WithoutCancel(ctx)))
		}
	}
	logger.InfoContext(ctx, "api started", slog.String("stream_prefix", names.Prefix))

	var failure error
	select {
	case <-ctx.Done():
		logger.InfoContext(ctx, "shutting down")
	case failure = <-srv.Err():
	case failure = <-admin.Err():
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(failure, srv.Shutdown(shutdownCtx), admin.Shutdown(shutdownCtx))
}
