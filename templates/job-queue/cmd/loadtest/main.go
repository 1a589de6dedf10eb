// Command loadtest enqueues N no-op echo jobs through the API and measures end-to-end
// throughput: the time from the first enqueue until every job's record is final.
//
//	go run ./cmd/loadtest -n 5000 -c 32 -api http://127.0.0.1:8080 -nats nats://127.0.0.1:4222
//
// It enqueues through the HTTP API (not straight to JetStream), so the figure includes request
// handling and the publish, as a client would see it: one job per request, or -batch jobs per
// request to POST /api/v1/jobs/batch. It learns of completion from the depth of the work queue
// (STREAM_PREFIX; what jobqueue_queue_depth reports): a job leaves it once a worker has settled
// it, after writing its final record. It reads that one number every few milliseconds rather
// than polling each job, so it adds next to no load of its own; it reads the records once, after
// the clock stops, to count the final statuses. Run it against an otherwise idle queue.
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
