package queue

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config describes the JetStream resources.
type Config struct {
	Names Names
	// DuplicateWindow is how long the jobs stream remembers message IDs to drop duplicates.
	DuplicateWindow time.Duration
	// RecordTTL is how long job records are kept after their last update.
	RecordTTL time.Duration
	// DeadLetterMaxAge is how long dead letters are kept.
	DeadLetterMaxAge time.Duration
}

// Connect opens a NATS connection that reconnects forever and logs its state changes.
func Connect(url, clientName string, logger *slog.Logger) (*nats.Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name(clientName),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil means we closed the connection ourselves
				logger.Warn("nats disconnected", slog.Any("error", err))
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			logger.Info("nats reconnected", slog.String("url", c.ConnectedUrlRedacted()))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			attrs := []any{slog.Any("error", err)}
			if sub != nil {
				attrs = append(attrs, slog.String("subject", sub.Subject))
			}
			logger.Error("nats async error", attrs...)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to nats at %s: %w", url, err)
	}
	return nc, nil
}

// setupTimeout bounds connecting and creating the resources at start-up.
const setupTimeout = 30 * time.Second

// Open connects to NATS and ensures the streams and bucket in cfg exist. The caller closes the
// connection.
func Open(ctx context.Context, url, clientName string, cfg Config, logger *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	nc, err := Connect(url, clientName, logger)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	if err := EnsureStreams(ctx, js, cfg); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// Ready returns a readiness check that passes while nc is connected.
func Ready(nc *nats.Conn) func(context.Context) error {
	return func(context.Context) error {
		if status := nc.Status(); status != nats.CONNECTED {
			return fmt.Errorf("nats connection is %s", status)
		}
		return nil
	}
}

// Close flushes what is buffered (acks are sent asynchronously) and closes nc.
func Close(nc *nats.Conn) {
	_ = nc.FlushTimeout(2 * time.Second) // best effort: the server redelivers anything unacked
	nc.Close()
}

// EnsureStreams creates the jobs stream, the dead-letter stream and the records bucket, or
// updates them to cfg. It is idempotent, and both binaries call it at start-up.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	n := cfg.Names
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        n.Stream,
		Description: "Queued jobs; a job leaves the stream once a worker settles it.",
		Subjects:    []string{n.jobSubjects()},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  cfg.DuplicateWindow,
	}); err != nil {
		return fmt.Errorf("ensure stream %s: %w", n.Stream, err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        n.DeadStream,
		Description: "Jobs that exhausted their attempts, with their last error in headers.",
		Subjects:    []string{n.deadSubjects()},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      cfg.DeadLetterMaxAge,
		Duplicates:  min(cfg.DuplicateWindow, cfg.DeadLetterMaxAge),
	}); err != nil {
		return fmt.Errorf("ensure stream %s: %w", n.DeadStream, err)
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      n.Bucket,
		Description: "Job records by job ID.",
		History:     1,
		TTL:         cfg.RecordTTL,
		Storage:     jetstream.FileStorage,
	}); err != nil {
		return fmt.Errorf("ensure bucket %s: %w", n.Bucket, err)
	}
	return nil
}

// EnsureConsumer creates or updates the durable pull consumer of the workers. ackWait is how long
// a delivery may go without an ack or heartbeat before it is redelivered.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, n Names, ackWait time.Duration) (jetstream.Consumer, error) {
	cons, err := js.CreateOrUpdateConsumer(ctx, n.Stream, jetstream.ConsumerConfig{
		Durable:       n.Consumer,
		Description:   "Workers pull jobs from here.",
		FilterSubject: n.jobSubjects(),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		// Unlimited: the worker counts attempts in the job's record and dead-letters a job after
		// its max_attempts. Deliveries are more than attempts: a redelivery that finds the job
		// held by a running attempt is put back until that attempt ends.
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("ensure consumer %s: %w", n.Consumer, err)
	}
	return cons, nil
}
