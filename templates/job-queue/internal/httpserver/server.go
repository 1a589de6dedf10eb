// Package httpserver holds what both binaries' HTTP servers share: timeouts, background serving
// with graceful shutdown, the operational endpoints and the healthcheck client.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts follow ardanlabs/service: a slow or stuck client cannot hold a connection forever.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 120 * time.Second
)

// New returns a server for h with all timeouts set.
func New(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
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

// Start binds srv.Addr, so that a busy port fails here, and serves in the background.
func Start(ctx context.Context, logger *slog.Logger, name string, srv *http.Server) (*Running, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", srv.Addr)
	if err != nil {
		return nil, fmt.Errorf("%s server: listen on %s: %w", name, srv.Addr, err)
	}
	r := &Running{srv: srv, addr: ln.Addr().String(), name: name, logger: logger, errc: make(chan error, 1)}
	logger.InfoContext(ctx, "http server listening", slog.String("server", name), slog.String("addr", ln.Addr().String()))
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

// Err delivers the error that stopped the server, if it stopped by itself. A nil *Running
// (a server that was not started) never delivers.
func (r *Running) Err() <-chan error {
	if r == nil {
		return nil
	}
	return r.errc
}

// Shutdown stops accepting connections and waits for active requests until ctx ends.
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
