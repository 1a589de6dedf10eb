package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	rediscache "example.com/gopher-template/url-shortener/internal/cache/redis"
	"example.com/gopher-template/url-shortener/internal/config"
	"example.com/gopher-template/url-shortener/internal/hits"
	"example.com/gopher-template/url-shortener/internal/httpapi"
	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/logging"
	"example.com/gopher-template/url-shortener/internal/metrics"
	"example.com/gopher-template/url-shortener/internal/migrations"
	"example.com/gopher-template/url-shortener/internal/store/postgres"
)

const usage = `usage: {{name}} [command]

commands:
  serve                     run the HTTP server (default)
  migrate [up|down|status]  apply, roll back or list database migrations (default up)
  healthcheck               exit 0 if the local server answers /healthz
  version                   print the version

Configuration is read from the environment; see README.md.
`

// run is the real main: it parses args, reads configuration through getenv
// and returns instead of exiting, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd, rest := "serve", []string(nil)
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv, stdout)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "version":
		_, err := fmt.Fprintln(stdout, version)
		return err
	case "help", "-h", "-help", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		_, _ = io.WriteString(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// serve runs the HTTP server until ctx is cancelled, then drains in-flight
// requests, flushes pending hits and closes connections.
func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(ctx, getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stdout, cfg.LogLevel)
	logger.InfoContext(ctx, "starting", slog.String("version", version))

	db, err := postgres.Open(ctx, logger, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer closeWith(ctx, logger, "postgres", sqlDB.Close)

	if cfg.MigrateOnStart {
		if err := migrations.Up(ctx, logger, sqlDB); err != nil {
			return err
		}
	}

	rediscache.UseLogger(logger)
	redisClient, err := rediscache.NewClient(cfg.RedisURL)
	if err != nil {
		return err
	}
	defer closeWith(ctx, logger, "redis", redisClient.Close)
	cache := rediscache.New(redisClient, cfg.RedisKeyPrefix, cfg.CacheTTL)
	// Redis is optional for serving: without it redirects go to PostgreSQL.
	if err := cache.Ping(ctx); err != nil {
		logger.WarnContext(ctx, "redis unreachable; serving without cache", slog.Any("error", err))
	}

	m := metrics.New()
	repo := postgres.NewRepository(db)
	batcher := hits.NewBatcher(logger, repo, cfg.HitFlushInterval)
	links := link.NewService(logger, repo, m.InstrumentCache(cache), batcher, link.Options{CodeLength: cfg.CodeLength})

	handler := httpapi.NewServer(logger, cfg, links, m,
		httpapi.Check{Name: "postgres", Check: sqlDB.PingContext},
		httpapi.Check{Name: "redis", Check: cache.Ping},
	)

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := newHTTPServer(logger, handler)

	servers := []*http.Server{srv}
	listeners := []net.Listener{ln}
	if cfg.AdminAddr != "" {
		adminLn, err := lc.Listen(ctx, "tcp", cfg.AdminAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("listen on %s: %w", cfg.AdminAddr, err)
		}
		admin := newHTTPServer(logger, adminHandler())
		// CPU profiles and traces stream for up to a minute.
		admin.WriteTimeout = 65 * time.Second
		servers = append(servers, admin)
		listeners = append(listeners, adminLn)
	}

	serveErr := make(chan error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		logger.InfoContext(ctx, "http server listening", slog.String("addr", listeners[i].Addr().String()), slog.Bool("admin", i > 0))
		wg.Go(func() {
			if err := s.Serve(listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				serveErr <- fmt.Errorf("serve %s: %w", listeners[i].Addr(), err)
			}
		})
	}
	flushCtx, stopFlushing := context.WithCancel(ctx)
	defer stopFlushing()
	wg.Go(func() { batcher.Run(flushCtx) })

	var runErr error
	select {
	case <-ctx.Done():
		logger.InfoContext(ctx, "shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	case runErr = <-serveErr:
		logger.ErrorContext(ctx, "server failed; shutting down", slog.Any("error", runErr))
	}

	// The signal context is done: shut down on a fresh deadline.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	var shutdownErrs []error
	for _, s := range servers {
		if err := s.Shutdown(shutdownCtx); err != nil {
			shutdownErrs = append(shutdownErrs, fmt.Errorf("shutdown: %w", err))
		}
	}
	stopFlushing()
	wg.Wait()
	// Every request has finished: store the hits they recorded.
	if err := batcher.Flush(shutdownCtx); err != nil {
		shutdownErrs = append(shutdownErrs, fmt.Errorf("final hit flush: %w", err))
	}
	if err := errors.Join(append([]error{runErr}, shutdownErrs...)...); err != nil {
		return err
	}
	logger.InfoContext(shutdownCtx, "stopped")
	return nil
}

// newHTTPServer returns a server with the timeouts every listener needs.
func newHTTPServer(logger *slog.Logger, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// adminHandler serves pprof. It is only mounted on ADMIN_ADDR, which should
// not be reachable from outside.
func adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func closeWith(ctx context.Context, logger *slog.Logger, name string, closeFn func() error) {
	if err := closeFn(); err != nil {
		logger.WarnContext(ctx, "close failed", slog.String("resource", name), slog.Any("error", err))
	}
}

// migrate runs `shortener migrate [up|down|status]`.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.LoadMigrate(ctx, getenv)
	if err != nil {
		return err
	}
	logger := logging.New(stdout, cfg.LogLevel)
	direction := "up"
	if len(args) > 0 {
		direction = args[0]
	}
	if len(args) > 1 {
		return fmt.Errorf("migrate: unexpected arguments %q", args[1:])
	}

	db, err := postgres.Open(ctx, logger, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer closeWith(ctx, logger, "postgres", sqlDB.Close)

	switch direction {
	case "up":
		return migrations.Up(ctx, logger, sqlDB)
	case "down":
		return migrations.Down(ctx, logger, sqlDB)
	case "status":
		return migrations.Status(ctx, sqlDB, stdout)
	default:
		return fmt.Errorf("migrate: unknown direction %q (want up, down or status)", direction)
	}
}

// healthcheck GETs /healthz on the local server. The distroless image has no
// shell or curl, so its HEALTHCHECK runs this.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	cfg, err := config.LoadListen(ctx, getenv)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("healthcheck: HTTP_ADDR: %w", err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	return nil
}
