// Package grpcclient is the one way the gateway calls the services: round-robin over every
// address the target resolves to (a headless Service's pods), a deadline on every call,
// retries of the calls that are safe to repeat when a replica is unavailable, with retry
// throttling so that retries stop adding load to a failing service, keepalive, and client metrics.
package grpcclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
)

// Retryable lists the methods that may be sent again when a replica answered UNAVAILABLE:
// reads, and writes that are idempotent. Register, SendMessage, CreateRoom and above all Refresh
// (a repeated refresh is a reuse, which revokes the family) are not retried.
var Retryable = map[string][]string{
	"auth.v1.AuthService": {"Logout"},
	"chat.v1.ChatService": {"ListRooms", "ListMessages", "JoinRoom", "LeaveRoom"},
}

// Options configure a connection.
type Options struct {
	// Timeout bounds every unary call; a nearer deadline of the caller's context stands.
	Timeout time.Duration
	// Metrics, if set, records client-side call metrics (register it once per process).
	Metrics *grpcprom.ClientMetrics
	// DialOptions are added last (tests add a bufconn dialer).
	DialOptions []grpc.DialOption
}

// ServiceConfig is the gRPC service config of every connection: round robin and the retry policy.
func ServiceConfig() (string, error) {
	type name struct {
		Service string `json:"service"`
		Method  string `json:"method"`
	}
	var names []name
	for svc, methods := range Retryable {
		for _, m := range methods {
			names = append(names, name{Service: svc, Method: m})
		}
	}
	cfg := map[string]any{
		"loadBalancingConfig": []any{map[string]any{"round_robin": map[string]any{}}},
		"methodConfig": []any{map[string]any{
			"name": names,
			"retryPolicy": map[string]any{
				"maxAttempts":          4,
				"initialBackoff":       "0.05s",
				"maxBackoff":           "1s",
				"backoffMultiplier":    2,
				"retryableStatusCodes": []string{"UNAVAILABLE"},
			},
		}},
		// Retries stop while more than half of the recent calls failed: a circuit breaker
		// for the retries themselves.
		"retryThrottling": map[string]any{"maxTokens": 10, "tokenRatio": 0.1},
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("grpcclient: service config: %w", err)
	}
	return string(b), nil
}

// Dial returns a connection to target (for example dns:///chat:9090). It connects lazily.
func Dial(target string, opts Options) (*grpc.ClientConn, error) {
	if opts.Timeout <= 0 {
		return nil, errors.New("grpcclient: Timeout must be positive")
	}
	sc, err := ServiceConfig()
	if err != nil {
		return nil, err
	}
	unary := []grpc.UnaryClientInterceptor{Deadline(opts.Timeout)}
	var stream []grpc.StreamClientInterceptor
	if opts.Metrics != nil {
		unary = append(unary, opts.Metrics.UnaryClientInterceptor())
		stream = append(stream, opts.Metrics.StreamClientInterceptor())
	}
	dialOpts := []grpc.DialOption{
		// In-cluster traffic; TLS between pods is the mesh's or NetworkPolicy's job here
		// (docs/adr/0001-architecture.md).
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(sc),
		grpc.WithChainUnaryInterceptor(unary...),
		grpc.WithChainStreamInterceptor(stream...),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
	}
	conn, err := grpc.NewClient(target, append(dialOpts, opts.DialOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("grpcclient: %s: %w", target, err)
	}
	return conn, nil
}

// Deadline bounds every unary call by d: no call waits forever on a stuck service. A caller's
// nearer deadline stands; a later one (grpc-gateway makes one of a client's Grpc-Timeout header)
// does not lift the bound.
func Deadline(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
