// Command api serves the shop's HTTP API: products, accounts and orders, the OpenAPI document
// and its Swagger UI, probes and metrics. Orders write their events to the outbox; the worker
// publishes them.
package main

import (
	"context"
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...". It must be a variable for
// the linker to set it; nothing assigns it at run time.
var version = "dev"

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		os.Exit(1)
	}
}
