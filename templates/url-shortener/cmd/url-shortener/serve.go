package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"gorm.io/gorm"

	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/httpserver"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/url-shortener/internal/config"
	"example.com/gopher-template/url-shortener/internal/hits"
	"example.com/gopher-template/url-shortener/internal/httpapi"
	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/localcache"
	"example.com/gopher-template/url-shortener/internal/metrics"
	"example.com/gopher-template/url-shortener/internal/migrations"
	"example.com/gopher-template/url-shortener/internal/pgstore"
	"example.com/gopher-template/url-shortener/internal/rediscache"
	"example.com/gopher-template/url-shortener/internal/tracing"
)

// serve runs the HTTP servers until ctx is cancelled or a server fails, then
// drains in-flight requests, flushes pending hits and spans and closes
// connections.
func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(ctx, getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stdout, cfg.LogLevel)
	logger.InfoContext(ctx, "starting", slog.String("version", version),
		slog.Bool("exporting_spans", cfg.Tracing.Endpoint != "" || cfg.Tracing.TracesEndpoint != ""))
	setProcessWide(logger)

	provider, err := tracing.New(ctx, tracing.Options{
		ServiceName:    cfg.Tracing.ServiceName,
		ServiceVersion: version,
		Endpoint:       cfg.Tracing.Endpoint,
		TracesEndpoint: cfg.Tracing.TracesEndpoint,
	})
	if err != nil {
		return err
	}
	// serveUntilDone flushes the spans within SHUTDOWN_TIMEOUT; this stops
	// the provider when start-up fails before that (again: a no-op).
	defer func() { stopTracing(ctx, logger, provider, time.Now().Add(cfg.ShutdownTimeout)) }()

	deps, err := connect(ctx, logger, cfg, provider)
	if err != nil {
		return err
	}
	defer deps.close(ctx, logger)

	handler, batcher, err := wire(logger, cfg, deps, provider)
	if err != nil {
		return err
	}
	return serveUntilDone(ctx, logger, cfg, handler, batcher, provider)
}

// setProcessWide configures the libraries that keep process-wide state. It
// runs once, at start-up, and no constructor does it.
func setProcessWide(logger *slog.Logger) {
	// Release mode drops Gin's debug output.
	gin.SetMode(gin.ReleaseMode)
	// go-redis logs some failures (dial errors, ...) itself: as JSON, please.
	goredis.SetLogger(rediscache.NewLogger(logger))
	// So does OpenTelemetry (spans it failed to export, say).
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("opentelemetry", slog.Any("error", err))
	}))
}

// dependencies are the connections that serve opens and closes.
type dependencies struct {
	db    *gorm.DB
	sqlDB *sql.DB
	redis *goredis.Client
	cache *rediscache.Cache
}

// connect opens PostgreSQL, which is required: without it start-up fails. It
// applies pending migrations when configured to, and creates the Redis
// client. Redis is optional: when it is unreachable the service starts and
// serves redirects from PostgreSQL. Both clients make spans with provider
// when it exports them.
func connect(ctx context.Context, logger *slog.Logger, cfg config.Config, provider *tracing.Provider) (*dependencies, error) {
	pgOpts := postgresOptions(cfg.Postgres)
	pgOpts.TracerProvider = provider.Tracing()
	db, err := pgstore.Open(ctx, logger, pgOpts)
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.MigrateOnStart {
		if err := migrations.Up(ctx, logger, sqlDB); err != nil {
			closeWith(ctx, logger, "postgres", sqlDB.Close)
			return nil, err
		}
	}
	client, err := rediscache.NewClient(cfg.RedisURL)
	if err != nil {
		closeWith(ctx, logger, "postgres", sqlDB.Close)
		return nil, err
	}
	if tp := provider.Tracing(); tp != nil {
		if err := rediscache.Trace(client, tp); err != nil {
			closeWith(ctx, logger, "redis", client.Close)
			closeWith(ctx, logger, "postgres", sqlDB.Close)
			return nil, err
		}
	}
	d := &dependencies{db: db, sqlDB: sqlDB, redis: client, cache: rediscache.New(client, cfg.RedisKeyPrefix, cfg.CacheTTL)}
	if err := d.cache.Ping(ctx); err != nil {
		logger.WarnContext(ctx, "redis unreachable; serving without cache", slog.Any("error", err))
	}
	return d, nil
}

func (d *dependencies) close(ctx context.Context, logger *slog.Logger) {
	closeWith(ctx, logger, "redis", d.redis.Close)
	closeWith(ctx, logger, "postgres", d.sqlDB.Close)
}

// wire builds the service on its dependencies: metrics, repository, hit
// batcher, the in-process cache in front of Redis, link service and HTTP
// handler, whose /readyz fails without
// PostgreSQL and reports Redis degraded without Redis, and which makes a span
// of every request with provider.
func wire(logger *slog.Logger, cfg config.Config, deps *dependencies, provider *tracing.Provider) (http.Handler, *hits.Batcher, error) {
	m, err := metrics.New(metrics.Namespace(config.AppName))
	if err != nil {
		return nil, nil, err
	}
	repo := pgstore.NewRepository(deps.db)
	batcher, err := hits.NewBatcher(logger, repo, hits.Options{Interval: cfg.HitFlushInterval, Recorder: m})
	if err != nil {
		return nil, nil, err
	}
	cache, err := linkCache(cfg, deps.cache, m)
	if err != nil {
		return nil, nil, err
	}
	links, err := link.NewService(logger, repo, cache, batcher, link.Options{CodeLength: cfg.CodeLength, Recorder: m})
	if err != nil {
		return nil, nil, err
	}
	handler, err := httpapi.NewServer(logger, httpapi.Options{
		BaseURL:        cfg.BaseURL,
		APIToken:       cfg.APIToken,
		TrustedProxies: cfg.TrustedProxies,
		RateLimitRPS:   cfg.RateLimitRPS,
		RateLimitBurst: cfg.RateLimitBurst,
		TracerProvider: provider.Tracing(),
		Propagator:     tracing.Propagator(),
	}, links, m,
		health.Check{Name: "postgres", Required: true, Check: deps.sqlDB.PingContext},
		health.Check{Name: "redis", Check: deps.cache.Ping},
	)
	if err != nil {
		return nil, nil, err
	}
	return handler, batcher, nil
}

// linkCache puts the in-process cache in front of Redis, unless
// LOCAL_CACHE_SIZE turns it off.
func linkCache(cfg config.Config, redis *rediscache.Cache, m *metrics.Metrics) (link.Cache, error) {
	if cfg.LocalCacheSize == 0 {
		return redis, nil
	}
	local, err := localcache.New(redis, localcache.Options{Size: cfg.LocalCacheSize, TTL: cfg.LocalCacheTTL, Recorder: m})
	if err != nil {
		return nil, fmt.Errorf("local cache: %w", err)
	}
	return local, nil
}

// serveUntilDone serves handler, and pprof when ADMIN_ADDR is set, and flushes
// hits periodically until ctx is cancelled or a server fails. Then, within
// SHUTDOWN_TIMEOUT, it drains the servers, stores the hits of the last
// requests and exports the spans provider still holds.
func serveUntilDone(ctx context.Context, logger *slog.Logger, cfg config.Config, handler http.Handler, batcher *hits.Batcher, provider *tracing.Provider) error {
	api, err := httpserver.Start(ctx, logger, "api", httpserver.New(cfg.HTTPAddr, handler, logger))
	if err != nil {
		return err
	}
	var admin *httpserver.Running
	if cfg.AdminAddr != "" {
		admin, err = httpserver.Start(ctx, logger, "admin", httpserver.NewAdmin(cfg.AdminAddr, logger))
		if err != nil {
			return errors.Join(err, httpserver.ShutdownAll(ctx, cfg.ShutdownTimeout, api))
		}
	}
	flushCtx, stopFlushing := context.WithCancel(ctx)
	defer stopFlushing()
	var flushing sync.WaitGroup
	flushing.Go(func() { batcher.Run(flushCtx) })

	var runErr error
	select {
	case <-ctx.Done():
		logger.InfoContext(ctx, "shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	case runErr = <-api.Err():
	case runErr = <-admin.Err():
	}
	if runErr != nil {
		logger.ErrorContext(ctx, "server failed; shutting down", slog.Any("error", runErr))
	}

	deadline := time.Now().Add(cfg.ShutdownTimeout)
	shutdownErr := httpserver.ShutdownAll(ctx, cfg.ShutdownTimeout, api, admin)
	stopFlushing()
	flushing.Wait()
	// Every request has finished: store the hits they recorded.
	flushErr := finalFlush(ctx, batcher, deadline)
	stopTracing(ctx, logger, provider, deadline)
	if err := errors.Join(runErr, shutdownErr, flushErr); err != nil {
		return err
	}
	logger.InfoContext(ctx, "stopped")
	return nil
}

// finalFlush stores the pending hits before deadline. ctx is cancelled by
// then (the signal); its values are kept.
func finalFlush(ctx context.Context, batcher *hits.Batcher, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	if err := batcher.Flush(ctx); err != nil {
		return fmt.Errorf("final hit flush: %w", err)
	}
	return nil
}

// stopTracing exports the spans provider still holds and stops it, before
// deadline. Spans it could not export are lost: that is logged, and the
// shutdown goes on. ctx may be cancelled by then (the signal); its values are
// kept.
func stopTracing(ctx context.Context, logger *slog.Logger, provider *tracing.Provider, deadline time.Time) {
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	if err := provider.Shutdown(ctx); err != nil {
		logger.WarnContext(ctx, "spans not exported", slog.Any("error", err))
	}
}
