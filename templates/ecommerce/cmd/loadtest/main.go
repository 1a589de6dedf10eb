// Command loadtest puts a running api under load through its HTTP API, as clients use it, and
// measures what they see.
//
//	go run ./cmd/loadtest -api http://127.0.0.1:8080 -clients 16 -duration 10s
//
// Set-up: it logs in as an admin (LOADTEST_ADMIN_EMAIL and LOADTEST_ADMIN_PASSWORD, or -admin-email
// and -admin-password; `make loadtest-admin` registers and promotes that account once), creates
// -products products with -stock units each (enough that no order runs out), and registers and
// logs in -clients customers.
//
// Orders: for -duration, every customer places orders back to back, POST /v1/orders with
// -lines products (distinct, taken round robin, so that orders contend for the same stock rows)
// and a fresh Idempotency-Key each. Products: then, for -list-duration, as many clients read the
// first page of the catalog, GET /v1/products?limit=20.
//
// It reports, per phase, the requests, the successes, the errors by status, requests per second
// and the p50 and p99 latency, as a table or, with -json, as one JSON line; and fails, after its
// report, if any request failed.
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
