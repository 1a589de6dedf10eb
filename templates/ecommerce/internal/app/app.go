// Package app is the start-up and shutdown both binaries share: subcommands, the database
// commands, and Serve, which runs the HTTP server, pprof when asked for and the background loops
// (the relay, the consumers) until a signal, then stops them within one deadline.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"example.com/gopher-template/plumbing/httpserver"
)

// Subcommand is one word a binary understands after its name.
type Subcommand struct {
	Usage string
	Run   func(ctx context.Context, args []string) error
}

// Dispatch runs args[1] (serve by default) from commands; help prints the usage.
func Dispatch(ctx context.Context, name string, args []string, stdout, stderr io.Writer, commands map[string]Subcommand, order []string) error {
	cmd, rest := "serve", []string(nil)
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	usage := func(w io.Writer) {
		var b strings.Builder
		fmt.Fprintf(&b, "usage: %s [command]\n\ncommands:\n", name)
		for _, c := range order {
			fmt.Fprintf(&b, "  %-24s %s\n", c, commands[c].Usage)
		}
		b.WriteString("\nConfiguration is read from the environment; see README.md.\n")
		_, _ = io.WriteString(w, b.String())
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	c, ok := commands[cmd]
	if !ok {
		usage(stderr)
		return fmt.Errorf("unknown command %q", cmd)
	}
	return c.Run(ctx, rest)
}

// Loop is a background loop Serve runs beside the HTTP server: it returns when ctx ends (nil)
// or when it fails.
type Loop struct {
	Name string
	Run  func(ctx context.Context) error
}

// Service is what a binary serves.
type Service struct {
	HTTPAddr  string
	AdminAddr string
	// Handler is the whole HTTP handler, already wrapped in logging.Middleware.
	Handler http.Handler
	Loops   []Loop
	// ShutdownTimeout bounds the whole shutdown: the HTTP server drained, then the loops ended.
	ShutdownTimeout time.Duration
}

// Serve runs svc until ctx ends or a part of it fails, then shuts everything down within
// svc.ShutdownTimeout. The HTTP server stops first (no new requests), then the loops are told
// to stop and awaited.
func Serve(ctx context.Context, logger *slog.Logger, svc Service) error {
	running, err := httpserver.Start(ctx, logger, "http", httpserver.New(svc.HTTPAddr, svc.Handler, logger))
	if err != nil {
		return err
	}
	servers := []*httpserver.Running{running}
	var admin *httpserver.Running
	if svc.AdminAddr != "" {
		if admin, err = httpserver.Start(ctx, logger, "admin", httpserver.NewAdmin(svc.AdminAddr, logger)); err != nil {
			return errors.Join(err, httpserver.ShutdownAll(ctx, svc.ShutdownTimeout, running))
		}
		servers = append(servers, admin)
	}

	loopCtx, stopLoops := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLoops()
	failed := make(chan error, len(svc.Loops))
	var wg sync.WaitGroup
	for _, l := range svc.Loops {
		wg.Go(func() {
			if err := l.Run(loopCtx); err != nil && loopCtx.Err() == nil {
				failed <- fmt.Errorf("%s: %w", l.Name, err)
			}
		})
	}
	logger.InfoContext(ctx, "started", slog.String("http_addr", running.Addr()))

	var failure error
	select {
	case <-ctx.Done():
		logger.InfoContext(ctx, "shutting down", slog.Duration("timeout", svc.ShutdownTimeout))
	case failure = <-running.Err():
	case failure = <-admin.Err():
	case failure = <-failed:
	}
	// One deadline for the whole shutdown (the orchestrator's grace period is sized to it).
	deadline := time.Now().Add(svc.ShutdownTimeout)
	shutdownCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	errs := []error{failure, httpserver.ShutdownAll(shutdownCtx, time.Until(deadline), servers...)}
	stopLoops()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-shutdownCtx.Done():
		errs = append(errs, fmt.Errorf("shutdown: background loops still running after %s", svc.ShutdownTimeout))
	}
	return errors.Join(errs...)
}
