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

	"github.com/google/uuid"

	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/httpserver"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/ecommerce/internal/app"
	"example.com/gopher-template/ecommerce/internal/config"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/metrics"
	"example.com/gopher-template/ecommerce/internal/outbox"
	"example.com/gopher-template/ecommerce/internal/rabbit"
	"example.com/gopher-template/ecommerce/internal/store"
	"example.com/gopher-template/ecommerce/internal/tasks"
)

// pendingInterval is how often the outbox's pending gauge is refreshed.
const pendingInterval = 5 * time.Second

// run is the real main: it parses args, reads configuration through getenv and returns instead
// of exiting, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	commands := map[string]app.Subcommand{
		"serve": {Usage: "relay the outbox and consume the tasks (default)", Run: func(ctx context.Context, _ []string) error {
			return serve(ctx, getenv, stderr)
		}},
		"teardown": {Usage: "delete the exchanges and queues of AMQP_PREFIX, with their messages", Run: func(ctx context.Context, _ []string) error {
			return teardown(ctx, getenv, stdout)
		}},
		"healthcheck": {Usage: "exit 0 if the local server answers /healthz", Run: func(ctx context.Context, _ []string) error {
			return httpserver.Healthcheck(ctx, config.LoadHTTPAddr(getenv, config.DefaultWorkerHTTPAddr))
		}},
		"version": {Usage: "print the version", Run: func(context.Context, []string) error {
			_, err := fmt.Fprintln(stdout, version)
			return err
		}},
	}
	return app.Dispatch(ctx, "worker", args, stdout, stderr, commands, []string{"serve", "teardown", "healthcheck", "version"})
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.LoadWorker(ctx, getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stderr, cfg.LogLevel).With(slog.String("service", "worker"), slog.String("version", version))
	db, client, err := app.OpenMigrated(ctx, cfg.Common)
	if err != nil {
		return err
	}
	defer client.Close()
	stores := store.New(client)

	// Publishing and consuming on separate connections: under a memory or disk alarm the broker
	// stops reading from connections that publish, and the consumers' acks must still get through.
	conn, err := rabbit.Dial(ctx, rabbit.Options{URL: cfg.AMQPURL, Name: config.AppName + "-worker-consume", Logger: logger})
	if err != nil {
		return err
	}
	defer conn.Close()
	pubConn, err := rabbit.Dial(ctx, rabbit.Options{URL: cfg.AMQPURL, Name: config.AppName + "-worker-publish", Logger: logger})
	if err != nil {
		return err
	}
	defer pubConn.Close()
	topology, err := rabbit.NewTopology(rabbit.TopologyOptions{Prefix: cfg.AMQPPrefix, RetryDelay: cfg.RetryDelay, MaxAttempts: cfg.MaxDeliveryAttempts})
	if err != nil {
		return err
	}
	if err := topology.Declare(ctx, conn); err != nil {
		return err
	}

	reg, err := metrics.NewRegistry()
	if err != nil {
		return err
	}
	namespace := metrics.Namespace(config.AppName)
	outboxMetrics, err := metrics.NewOutbox(reg, namespace)
	if err != nil {
		return err
	}
	routes := topology.Routes()
	names := make([]string, len(routes))
	for i, r := range routes {
		names[i] = r.Consumer
	}
	consumerMetrics, err := metrics.NewConsumers(reg, namespace, names...)
	if err != nil {
		return err
	}

	relay, err := outbox.NewRelay(outbox.Options{
		Store:        stores.Outbox,
		Publisher:    rabbit.NewPublisher(pubConn, topology),
		BatchSize:    cfg.RelayBatch,
		PollInterval: cfg.RelayInterval,
		Timeout:      cfg.RequestTimeout,
		Logger:       logger.With(slog.String("component", "relay")),
		Recorder:     outboxMetrics,
	})
	if err != nil {
		return err
	}
	handler := tasks.NewHandler(countDuplicates{Store: stores.Tasks, recorder: consumerMetrics}, logger)
	loops := []app.Loop{
		{Name: "relay", Run: relay.Run},
		{Name: "outbox gauge", Run: func(ctx context.Context) error {
			outboxMetrics.PollPending(ctx, pendingInterval, stores.Outbox.Pending)
			return nil
		}},
	}
	for _, r := range routes {
		consumer, err := rabbit.NewConsumer(rabbit.ConsumerOptions{
			Conn:           conn,
			PublishConn:    pubConn,
			Topology:       topology,
			Consumer:       r.Consumer,
			Handler:        handler.Handle,
			Concurrency:    cfg.Concurrency,
			Prefetch:       cfg.Prefetch,
			HandlerTimeout: cfg.RequestTimeout,
			// Within the one shutdown deadline: the HTTP drain, then the handlers in flight,
			// then the connections' close.
			StopTimeout: cfg.ShutdownTimeout / 3,
			Logger:      logger.With(slog.String("consumer", r.Consumer)),
			Recorder:    consumerMetrics,
		})
		if err != nil {
			return err
		}
		loops = append(loops, app.Loop{Name: "consumer " + r.Consumer, Run: consumer.Run})
	}

	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Healthz())
	mux.Handle("GET /readyz", health.Readyz(logger,
		health.Check{Name: "postgres", Required: true, Check: db.PingContext},
		health.Check{Name: "rabbitmq", Required: true, Check: func(ctx context.Context) error {
			return errors.Join(conn.Ping(ctx), pubConn.Ping(ctx))
		}},
	))
	mux.Handle("GET /metrics", metrics.Handler(reg))
	return app.Serve(ctx, logger, app.Service{
		HTTPAddr:        cfg.HTTPAddr,
		AdminAddr:       cfg.AdminAddr,
		Handler:         logging.Middleware(logger)(mux),
		Loops:           loops,
		ShutdownTimeout: cfg.ShutdownTimeout,
	})
}

func teardown(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	url, prefix := getenv("AMQP_URL"), getenv("AMQP_PREFIX")
	if url == "" {
		return fmt.Errorf("config: AMQP_URL is required")
	}
	if prefix == "" {
		prefix = config.AppName
	}
	conn, err := rabbit.Dial(ctx, rabbit.Options{URL: url, Name: config.AppName + "-teardown"})
	if err != nil {
		return err
	}
	defer conn.Close()
	topology, err := rabbit.NewTopology(rabbit.TopologyOptions{Prefix: prefix})
	if err != nil {
		return err
	}
	if err := topology.Delete(ctx, conn); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "deleted the exchanges and queues of %s\n", prefix)
	return err
}

// countDuplicates is the tasks.Store the consumers use: it counts the deliveries whose effect
// had already been applied (redeliveries), by consumer.
type countDuplicates struct {
	tasks.Store
	recorder interface{ Duplicate(consumer string) }
}

func (c countDuplicates) ConfirmOrder(ctx context.Context, messageID uuid.UUID, e events.OrderPlaced) (bool, error) {
	applied, err := c.Store.ConfirmOrder(ctx, messageID, e)
	if err == nil && !applied {
		c.recorder.Duplicate(rabbit.ConsumerOrderConfirmation)
	}
	return applied, err
}

func (c countDuplicates) RecordStockAlert(ctx context.Context, messageID uuid.UUID, e events.StockLow) (bool, error) {
	applied, err := c.Store.RecordStockAlert(ctx, messageID, e)
	if err == nil && !applied {
		c.recorder.Duplicate(rabbit.ConsumerStockAlert)
	}
	return applied, err
}
