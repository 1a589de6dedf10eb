package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"example.com/gopher-template/plumbing/health"

	"example.com/gopher-template/job-queue/internal/app"
	"example.com/gopher-template/job-queue/internal/backoff"
	"example.com/gopher-template/job-queue/internal/config"
	"example.com/gopher-template/job-queue/internal/handlers"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/metrics"
	"example.com/gopher-template/job-queue/internal/pool"
	"example.com/gopher-template/job-queue/internal/queue"
	"example.com/gopher-template/job-queue/internal/worker"
)

const (
	// prefetchPerSlot is how many messages per pool slot the worker keeps requested ahead, so
	// that a slot that frees up finds its next job waiting. They wait at most as long as the
	// jobs before them take; a redelivery meanwhile (a job longer than ACK_WAIT holds every
	// slot) finds the job claimed or runs it: never both.
	prefetchPerSlot = 2
	// settlesPerSlot is how many finished attempts per pool slot may record their outcome and
	// settle in the background while the slots run the next jobs.
	settlesPerSlot = 4
	// sweepInterval is how often the worker looks for orphaned messages in the jobs stream.
	sweepInterval = 5 * time.Second
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := app.Command[config.Worker]{Name: "worker", Version: version, Load: config.LoadWorker, Build: build}
	return app.Main(ctx, cmd, args, getenv, stdout, stderr)
}

// build makes the worker on top of the shared start-up: the handlers, the pool, the processor, the
// loop that feeds them from a continuous pull, and the sweep of orphaned messages. On SIGTERM the
// loop stops taking jobs and gives back those requested ahead, the pool lets running jobs finish
// within SHUTDOWN_TIMEOUT and gives the rest back to the queue.
func build(ctx context.Context, deps app.Deps, cfg config.Worker) (app.Service, error) {
	cons, err := queue.EnsureConsumer(ctx, deps.JS, deps.Names, cfg.AckWait)
	if err != nil {
		return app.Service{}, err
	}
	store, err := queue.OpenStore(ctx, deps.JS, deps.Names)
	if err != nil {
		return app.Service{}, err
	}
	registry := jobs.NewRegistry()
	if err := handlers.Register(registry, deps.Logger); err != nil {
		return app.Service{}, err
	}
	p, err := pool.New(pool.Config{Size: cfg.Concurrency, Timeout: cfg.JobTimeout})
	if err != nil {
		return app.Service{}, err
	}
	m, err := metrics.NewWorker(deps.Registry, p.Running)
	if err != nil {
		return app.Service{}, err
	}
	m.Init(registry.Types(), worker.Outcomes())
	proc := worker.NewProcessor(deps.Logger, registry, store, queue.NewDeadLetterer(deps.JS, deps.Names), m, worker.Config{
		Backoff:   backoff.Policy{Base: cfg.BackoffBase, Max: cfg.BackoffMax},
		Heartbeat: cfg.AckWait / 3,
		// A redelivery comes after an ack wait without heartbeat; a claim twice as long lets
		// the running attempt keep the job through an outage of the server of that length.
		Lease:        2 * cfg.AckWait,
		SettleWindow: settlesPerSlot * cfg.Concurrency,
	})
	sweeper := queue.NewSweeper(deps.JS, deps.Names, store, deps.Logger)
	return app.Service{
		Handler: opsRoutes(deps),
		Run: func(ctx context.Context) error {
			src, err := queue.NewSource(cons, prefetchPerSlot*cfg.Concurrency)
			if err != nil {
				return err
			}
			defer src.Close()
			var wg sync.WaitGroup
			defer wg.Wait()
			wg.Go(func() { sweeper.Every(ctx, sweepInterval) })
			return worker.Run(ctx, deps.Logger, src, p, proc)
		},
		Drain: func(ctx context.Context) error { drain(ctx, deps.Logger, p, proc); return nil },
		Attrs: []slog.Attr{slog.Int("concurrency", cfg.Concurrency), slog.Any("job_types", registry.Types())},
	}, nil
}

// opsRoutes lists the worker's HTTP endpoints: health, readiness and metrics.
func opsRoutes(deps app.Deps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Healthz())
	mux.Handle("GET /readyz", health.Readyz(deps.Logger, deps.Checks...))
	mux.Handle("GET /metrics", deps.MetricsHandler)
	return mux
}

// drain lets the running jobs finish until ctx ends; the pool then aborts the rest, whose jobs go
// back to the queue for another worker. That is the designed outcome of a short grace period, not
// a failure. Then it waits for the finished attempts still recording their outcome.
func drain(ctx context.Context, logger *slog.Logger, p *pool.Pool, proc *worker.Processor) {
	logger.InfoContext(ctx, "draining running jobs", slog.Int("running", p.Running()))
	if err := p.Shutdown(ctx); err != nil {
		logger.WarnContext(ctx, "shutdown timeout reached: running jobs were aborted and returned to the queue",
			slog.Any("error", err))
	}
	// Not bounded by ctx: each settle is bounded by its own timeout, and a success cut short
	// before it is recorded would run the job again.
	proc.Wait(context.WithoutCancel(ctx))
}
