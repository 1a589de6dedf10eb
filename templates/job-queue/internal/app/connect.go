package app

import (
	"context"
	"fmt"
	"log/slog"

	"example.com/gopher-template/plumbing/health"

	"example.com/gopher-template/job-queue/internal/config"
	"example.com/gopher-template/job-queue/internal/metrics"
	"example.com/gopher-template/job-queue/internal/queue"
)

// connect connects to NATS, makes sure the streams and the records bucket exist, and sets up the
// metrics registry with the queue-depth collector. The returned func closes the connection.
func connect(ctx context.Context, name string, c config.Common, logger *slog.Logger) (Deps, func(), error) {
	names, err := queue.NamesFor(c.StreamPrefix)
	if err != nil {
		return Deps{}, nil, err
	}
	nc, js, err := queue.Open(ctx, c.NATSURL, config.AppName+"-"+name, queue.Config{
		Names:            names,
		DuplicateWindow:  c.DuplicateWindow,
		RecordTTL:        c.RecordTTL,
		DeadLetterMaxAge: c.DeadLetterMaxAge,
	}, logger)
	if err != nil {
		return Deps{}, nil, err
	}
	closeNATS := func() { queue.Close(nc) }

	reg, err := metrics.NewRegistry()
	if err != nil {
		closeNATS()
		return Deps{}, nil, err
	}
	if err := reg.Register(queue.NewDepthCollector(js, names, logger)); err != nil {
		closeNATS()
		return Deps{}, nil, fmt.Errorf("register queue-depth collector: %w", err)
	}
	return Deps{
		Logger:         logger,
		JS:             js,
		Names:          names,
		Registry:       reg,
		MetricsHandler: metrics.Handler(reg),
		Checks:         []health.Check{{Name: "nats", Required: true, Check: queue.Ready(nc)}},
	}, closeNATS, nil
}
