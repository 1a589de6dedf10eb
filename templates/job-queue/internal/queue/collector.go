package queue

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"example.com/gopher-template/job-queue/internal/metrics"
)

// collectTimeout bounds the JetStream requests of one scrape.
const collectTimeout = 3 * time.Second

// DepthCollector reports queue depth from stream and consumer info at scrape time. It implements
// prometheus.Collector.
type DepthCollector struct {
	js     jetstream.JetStream
	names  Names
	logger *slog.Logger

	depth, pending, ackPending, deadDepth *prometheus.Desc
}

// NewDepthCollector returns a collector for the resources in n.
func NewDepthCollector(js jetstream.JetStream, n Names, logger *slog.Logger) *DepthCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(metrics.Namespace, "", name), help, nil, nil)
	}
	return &DepthCollector{
		js: js, names: n, logger: logger,
		depth:      desc("queue_depth", "Jobs in the work-queue stream: waiting, running or waiting for a retry."),
		pending:    desc("queue_pending", "Jobs not yet delivered to any worker (consumer num_pending)."),
		ackPending: desc("queue_ack_pending", "Jobs delivered and not yet settled (consumer num_ack_pending)."),
		deadDepth:  desc("dead_letter_depth", "Messages in the dead-letter stream."),
	}
}

// Describe implements prometheus.Collector.
func (c *DepthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.pending
	ch <- c.ackPending
	ch <- c.deadDepth
}

// Collect implements prometheus.Collector. A resource that cannot be read is left out of the
// scrape (and logged) rather than failing it.
func (c *DepthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()

	if s, err := c.js.Stream(ctx, c.names.Stream); err != nil {
		c.logger.WarnContext(ctx, "collect queue depth", slog.String("stream", c.names.Stream), slog.Any("error", err))
	} else {
		ch <- gauge(c.depth, float64(s.CachedInfo().State.Msgs))
	}

	if cons, err := c.js.Consumer(ctx, c.names.Stream, c.names.Consumer); err == nil {
		info := cons.CachedInfo()
		ch <- gauge(c.pending, float64(info.NumPending))
		ch <- gauge(c.ackPending, float64(info.NumAckPending))
	} // no consumer yet means no worker has started: nothing to report

	if s, err := c.js.Stream(ctx, c.names.DeadStream); err != nil {
		c.logger.WarnContext(ctx, "collect dead-letter depth", slog.String("stream", c.names.DeadStream), slog.Any("error", err))
	} else {
		ch <- gauge(c.deadDepth, float64(s.CachedInfo().State.Msgs))
	}
}

// gauge builds a gauge sample of desc. Should that fail, the registry reports the error when it
// gathers, rather than the process panicking.
func gauge(desc *prometheus.Desc, v float64) prometheus.Metric {
	m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v)
	if err != nil {
		return prometheus.NewInvalidMetric(desc, err)
	}
	return m
}
