// The command serves the URL shortener's HTTP API and redirects, and runs its
// maintenance commands (migrate, createdb, healthcheck, version).
package main

import (
	"context"
	"fmt"
	"os"

	"example.com/gopher-template/url-shortener/internal/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", config.AppName, err)
		os.Exit(1)
	}
}
