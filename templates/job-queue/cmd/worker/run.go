package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"example.com/gopher-template/job-queue/internal/backoff"
	"example.com/gopher-template/job-queue/internal/config"
	"example.com/gopher-template/job-queue/internal/handlers"
	"example.com/gopher-template/job-queue/internal/httpserver"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/metrics"
	"example.com/gopher-template/job-queue/internal/pool"
	"example.com/gopher-template/job-queue/internal/queue"
	"example.com/gopher-template/job-queue/internal/worker"
)

// httpShutdownTimeout bounds closing the HTTP servers, after the jobs have drained.
const httpShutdownTimeout = 5 * time.Second

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 {
		switch args[1] {
		case "version":
			_, err := fmt.Fprintln(stdout, version)
			return err
		case "healthcheck":
			cfg, err := config.LoadWorker(ctx, getenv)
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

	cfg, err := config.LoadWorker(ctx, getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).
		With(slog.String("service", "worker"), slog.String("version", version))

	names, err := queue.NamesFor(cfg.StreamPrefix)
	if err != nil {
		return err
	}
	nc, js, err := queue.Open(ctx, cfg.NATSURL, "jobqueue-worker", queue.Config{
		Names:            names,
		DuplicateWindow:  cfg.DuplicateWindow,
		RecordTTL:        cfg.RecordTTL,
		DeadLetterMaxAge: cfg.DeadLetterMaxAge,
	}, logger)
	if err != nil {
		return err
	}
	defer queue.Close(nc)

	cons, err := queue.EnsureConsumer(ctx, js, names, cfg.AckWait)
	if err != nil {
		return err
	}
	store, err := queue.OpenStore(ctx, js, names)
	if err != nil {
		return err
	}

	registry := jobs.NewRegistry()
	if err := handlers.Register(registry, logger); err != nil {
		return err
	}
	p, err := pool.New(pool.Config{Size: cfg.Concurrency, Timeout: cfg.JobTimeout})
	if err != nil {
		return err
	}
	reg, err := metrics.NewRegistry()
	if err != nil {
		return err
	}
	m, err := metrics.NewWorker(reg, p.Running)
	if err != nil {
		return err
	}
	m.Init(registry.Types()...)
	if err := reg.Register(queue.NewDepthCollector(js, names, logger)); err != nil {
		return fmt.Errorf("register depth collector: %w", err)
	}

	proc := worker.NewProcessor(logger, registry, store, queue.NewDeadLetterer(js, names), m, worker.Config{
		Backoff:   backoff.Policy{Base: cfg.BackoffBase, Max: cfg.BackoffMax},
		Heartbeat: cfg.AckWait / 3,
	})

	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz())
	mux.Handle("GET /readyz", httpserver.Readyz(logger, queue.Ready(nc)))
	mux.Handle("GET /metrics", metrics.Handler(reg))
	srv, err := httpserver.Start(ctx, logger, "http", httpserver.New(cfg.HTTPAddr, mux))
	if err != nil {
		return err
	}
	var admin *httpserver.Running
	if cfg.AdminAddr != "" {
		if admin, err = httpserver.Start(ctx, logger, "admin", httpserver.NewAdmin(cfg.AdminAddr)); err != nil {
			return errors.Join(err, srv.Shutdown(context.WithoutCancel(ctx)))
		}
	}

	fetchCtx, stopFetching := context.WithCancel(ctx)
	defer stopFetching()
	fetched := make(chan error, 1)
	go func() { fetched <- worker.Run(fetchCtx, logger, queue.NewSource(cons), p, proc) }()
	logger.InfoContext(ctx, "worker started",
		slog.String("stream_prefix", names.Prefix),
		slog.Int("concurrency", cfg.Concurrency),
		slog.Any("job_types", registry.Types()),
	)

	var failure error
	select {
	case <-ctx.Done():
		logger.InfoContext(ctx, "shutting down: no new jobs, draining running ones", slog.Int("running", p.Running()))
	case err := <-fetched:
		failure = fmt.Errorf("fetch loop stopped: %w", err)
		fetched = nil
	case failure = <-srv.Err():
	case failure = <-admin.Err():
	}

	// 1. Stop fetching. 2. Let running jobs finish within SHUTDOWN_TIMEOUT; the pool aborts the
	// rest and their jobs are handed back to the queue. 3. Close HTTP last, so health and
	// metrics stay up while jobs drain.
	stopFetching()
	if fetched != nil {
		if err := <-fetched; err != nil {
			failure = errors.Join(failure, fmt.Errorf("fetch loop: %w", err))
		}
	}
	drainCtx, cancelDrain := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancelDrain()
	if err := p.Shutdown(drainCtx); err != nil {
		logger.WarnContext(drainCtx, "shutdown timeout reached: running jobs were aborted and returned to the queue",
			slog.Any("error", err))
	}
	httpCtx, cancelHTTP := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
	defer cancelHTTP()
	return errors.Join(failure, srv.Shutdown(httpCtx), admin.Shutdown(httpCtx))
}
