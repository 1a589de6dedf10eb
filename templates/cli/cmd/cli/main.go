// This command is the CLI: it manages short links through the link-shortener HTTP API. Its
// name is config.AppName, which is also the name of this directory.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"example.com/gopher-template/cli/internal/cli"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit code. It owns signal handling:
// Ctrl-C or SIGTERM cancels the context, which aborts requests in flight.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Run(ctx, args, cli.Deps{
		Version: version,
		Getenv:  getenv,
		Stdin:   stdin,
		Stdout:  stdout,
		Stderr:  stderr,
	})
}
