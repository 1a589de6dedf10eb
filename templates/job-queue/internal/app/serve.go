package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"example.com/gopher-template/plumbing/httpserver"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/job-queue/internal/config"
)

// errStoppedEarly stands for a Run that returned nil before it was asked to stop.
var errStoppedEarly = errors.New("returned before shutdown")

// serve starts the HTTP servers and the service's Run, waits for a signal or a failure, then shuts
// down in order: stop Run, Drain, and close the HTTP servers last, so that health and metrics stay
// up while the service drains.
func serve(ctx context.Context, logger *slog.Logger, name string, c config.Common, svc Service) error {
	srv, admin, err := startServers(ctx, logger, c, svc.Handler)
	if err != nil {
		return err
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	ran := make(chan error, 1)
	if svc.Run == nil {
		ran = nil // never delivers
	} else {
		go func() { ran <- svc.Run(runCtx) }()
	}
	logger.LogAttrs(ctx, slog.LevelInfo, name+" started", svc.Attrs...)

	var failure error
	select {
	case <-ctx.Done():
		logger.InfoContext(ctx, "shutting down")
	case err := <-ran:
		failure = fmt.Errorf("%s: %w", name, cmp.Or(err, errStoppedEarly))
		ran = nil
	case failure = <-srv.Err():
	case failure = <-admin.Err():
	}

	stopRun()
	if ran != nil {
		failure = errors.Join(failure, <-ran)
	}
	if svc.Drain != nil {
		drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
		defer cancel()
		failure = errors.Join(failure, svc.Drain(drainCtx))
	}
	return errors.Join(failure, httpserver.ShutdownAll(ctx, c.ShutdownTimeout, srv, admin))
}

// startServers starts the main server, h behind the logging middleware, and the pprof admin server
// if ADMIN_ADDR is set (admin is nil otherwise).
func startServers(ctx context.Context, logger *slog.Logger, c config.Common, h http.Handler) (srv, admin *httpserver.Running, err error) {
	srv, err = httpserver.Start(ctx, logger, "http", httpserver.New(c.HTTPAddr, logging.Middleware(logger)(h), logger))
	if err != nil {
		return nil, nil, err
	}
	if c.AdminAddr == "" {
		return srv, nil, nil
	}
	admin, err = httpserver.Start(ctx, logger, "admin", httpserver.NewAdmin(c.AdminAddr, logger))
	if err != nil {
		return nil, nil, errors.Join(err, httpserver.ShutdownAll(ctx, c.ShutdownTimeout, srv))
	}
	return srv, admin, nil
}
