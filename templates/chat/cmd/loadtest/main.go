// Command loadtest puts the live path of the chat under load and measures it end to end: N
// WebSocket clients in one room, spread round robin over one or more gateways, M messages per
// second in total for a while, and every client timing every message it receives.
//
//	go run ./cmd/loadtest -gateways http://127.0.0.1:8080,http://127.0.0.1:8090 -clients 100 -rate 200 -duration 10s
//
// It sets up through the gateway's REST API: it registers one user, logs in and creates a room,
// and every client opens the room's socket with that user's token (the Authorization header).
// One user for all: what the gateway limits and fans out is per connection, not per user, and
// every further user would only cost the auth service an argon2id hash before the clock starts.
//
// The first S clients send, S = ceil(rate / sender-rate), so that no connection exceeds the
// gateway's limit (WS_MESSAGE_RATE, which -sender-rate keeps below by default: make exports
// .env). The messages are evenly spaced and the senders take turns, so the load is smooth rather
// than in bursts. Each body carries the message's number and the moment it was written to its
// socket; every client, the senders included (the room sends a message to its sender too),
// records the time from then until it reads the message. It reports what was sent, what was
// delivered of what was expected (sent × clients), delivered messages per second, the p50, p99
// and maximum latency, and with -json one machine-readable line.
//
// With -ws it skips the set-up and opens the WebSocket URLs given, round robin: any server that
// speaks the same frames can be measured the same way, such as the bare broadcast server the
// generator's bench sets the chat beside.
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
