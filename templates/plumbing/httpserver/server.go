// Package httpserver is the one way every binary of the project serves HTTP: every timeout set,
// the server's own errors logged through slog, the port bound before start-up returns, and a
// graceful shutdown with a deadline.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Timeouts follow ardanlabs/service: a slow or stuck client cannot hold a connection forever.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 120 * time.Second
)

// New returns a server for h on addr with every timeout set and its error log going to logger.
func New(addr string, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Running is a server serving in the background.
type Running struct {
	srv    *http.Server
	addr   string
	name   string
	logger *slog.Logger
	errc   chan error
}

// Start binds srv.Addr, so that a busy port fails here and not later, and serves in the
// background. name tells the servers of one process apart in logs and errors.
func Start(ctx context.Context, logger *slog.Logger, name string, srv *http.Server) (*Running, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", srv.Addr)
	if err != nil {
		return nil, fmt.Errorf("%s server: listen on %s: %w", name, srv.Addr, err)
	}
	r := &Running{srv: srv, addr: ln.Addr().String(), name: name, logger: logger, errc: make(chan error, 1)}
	logger.InfoContext(ctx, "http server listening", slog.String("server", name), slog.String("addr", r.addr))
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.errc <- fmt.Errorf("%s server: %w", name, err)
		}
		close(r.errc)
	}()
	return r, nil
}

// Addr is the address the server listens on, with the actual port if srv.Addr asked for port 0.
func (r *Running) Addr() string { return r.addr }

// Err delivers the error that stopped the server, if it stopped by itself. A nil *Running (a
// server that was not started) never delivers.
func (r *Running) Err() <-chan error {
	if r == nil {
		return nil
	}
	return r.errc
}

// Shutdown stops accepting connections and waits for active requests until ctx ends. A nil
// *Running is a no-op.
func (r *Running) Shutdown(ctx context.Context) error {
	if r == nil {
		return nil
	}
	if err := r.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("%s server: shutdown: %w", r.name, err)
	}
	r.logger.InfoContext(ctx, "http server stopped", slog.String("server", r.name))
	return nil
}

// ShutdownAll shuts the servers down side by side within timeout, from a context that is not
// ctx's cancellation (the signal that started the shutdown has already cancelled ctx) but keeps
// its values. The errors of all servers are joined.
func ShutdownAll(ctx context.Context, timeout time.Duration, servers ...*Running) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, r := range servers {
		wg.Go(func() { errs[i] = r.Shutdown(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
