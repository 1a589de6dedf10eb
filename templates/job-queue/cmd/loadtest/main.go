// Command loadtest enqueues N no-op echo jobs through the API and measures end-to-end
// throughput: the time from the first enqueue until every job is reported succeeded.
//
//	go run ./cmd/loadtest -n 5000 -c 32 -api http://127.0.0.1:8080
//
// It goes through the HTTP API (not straight to JetStream), so the figure includes request
// handling, the record write and the publish, as a client would see it. Completion is detected by
// polling GET /api/v1/jobs/{id}, which adds some load of its own; the poll interval bounds the
// measurement's resolution.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		os.Exit(1)
	}
}
