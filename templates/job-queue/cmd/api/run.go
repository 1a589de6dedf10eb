package main

import (
	"context"
	"io"

	"example.com/gopher-template/job-queue/internal/api"
	"example.com/gopher-template/job-queue/internal/app"
	"example.com/gopher-template/job-queue/internal/config"
	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/metrics"
	"example.com/gopher-template/job-queue/internal/queue"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := app.Command[config.API]{Name: "api", Version: version, Load: config.LoadAPI, Build: build}
	return app.Main(ctx, cmd, args, getenv, stdout, stderr)
}

// build makes the API on top of the shared start-up: the enqueue service and its HTTP handler.
func build(ctx context.Context, deps app.Deps, cfg config.API) (app.Service, error) {
	store, err := queue.OpenStore(ctx, deps.JS, deps.Names)
	if err != nil {
		return app.Service{}, err
	}
	pub, err := queue.NewPublisher(ctx, deps.JS, deps.Names)
	if err != nil {
		return app.Service{}, err
	}
	svc, err := jobs.NewService(store, pub, cfg.MaxAttempts)
	if err != nil {
		return app.Service{}, err
	}
	m, err := metrics.NewAPI(deps.Registry)
	if err != nil {
		return app.Service{}, err
	}
	handler := api.NewServer(deps.Logger, api.Options{
		Jobs:           svc,
		Metrics:        m,
		MetricsHandler: deps.MetricsHandler,
		Checks:         deps.Checks,
	})
	return app.Service{Handler: handler}, nil
}
