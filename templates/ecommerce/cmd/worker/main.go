// Command worker does the shop's asynchronous work: it relays the outbox to RabbitMQ (publisher
// confirms) and consumes the tasks (order confirmations, stock-low alerts) with manual acks,
// retries through a delay queue and a parking queue, each effect applied once.
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
		fmt.Fprintf(os.Stderr, "worker: %v\n", err)
		os.Exit(1)
	}
}
