// Package gateway is the HTTP face of the system: the REST API of the auth and chat services
// through grpc-gateway, and a WebSocket per room for live messages, fed by the room's NATS
// subject so that every replica delivers what any replica's clients send.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"

	"example.com/gopher-template/plumbing/apiheaders"
	"example.com/gopher-template/plumbing/health"

	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/jwtauth"
)

// maxBodyBytes bounds a REST request body: the largest valid one (a 4 KiB message) with room.
const maxBodyBytes = 64 << 10

// Options are what the gateway is built from.
type Options struct {
	Auth     authv1.AuthServiceClient
	Chat     chatv1.ChatServiceClient
	Verifier *jwtauth.Verifier
	Hub      *Hub
	WS       WSOptions
	Recorder Recorder
	// MetricsHandler serves /metrics.
	MetricsHandler http.Handler
	// Checks are /readyz's: the auth and chat services and NATS, all required.
	Checks []health.Check
}

// Gateway is the HTTP handler; Shutdown closes its WebSockets.
type Gateway struct {
	handler http.Handler
	ws      *wsHandler
}

// New returns the gateway. The REST handlers call the services through the given clients.
func New(ctx context.Context, logger *slog.Logger, opts Options) (*Gateway, error) {
	if opts.Auth == nil || opts.Chat == nil || opts.Verifier == nil || opts.Hub == nil || opts.Recorder == nil {
		return nil, errors.New("gateway: the auth and chat clients, a verifier, a hub and a recorder are required")
	}
	if opts.WS.SendQueue < 1 || opts.WS.ReadLimit < 1 || opts.WS.PingInterval <= 0 || opts.WS.WriteTimeout <= 0 || opts.WS.MessageBurst < 1 {
		return nil, fmt.Errorf("gateway: invalid WebSocket options %+v", opts.WS)
	}
	mux := runtime.NewServeMux(
		runtime.WithErrorHandler(errorHandler(logger)),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
	)
	if err := authv1.RegisterAuthServiceHandlerClient(ctx, mux, opts.Auth); err != nil {
		return nil, fmt.Errorf("gateway: auth routes: %w", err)
	}
	if err := chatv1.RegisterChatServiceHandlerClient(ctx, mux, opts.Chat); err != nil {
		return nil, fmt.Errorf("gateway: chat routes: %w", err)
	}
	ws := &wsHandler{logger: logger, verifier: opts.Verifier, chat: opts.Chat, hub: opts.Hub, opts: opts.WS, rec: opts.Recorder,
		conns: map[*wsConn]struct{}{}}

	routes := http.NewServeMux()
	routes.Handle("GET /healthz", health.Healthz())
	routes.Handle("GET /readyz", health.Readyz(logger, opts.Checks...))
	if opts.MetricsHandler != nil {
		routes.Handle("GET /metrics", opts.MetricsHandler)
	}
	routes.Handle("GET /v1/rooms/{room_id}/ws", ws)
	routes.Handle("/v1/", apiheaders.Middleware(limitBody(mux)))
	return &Gateway{handler: routes, ws: ws}, nil
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// Shutdown closes every WebSocket with 1001 (going away) and waits for them until ctx ends.
// http.Server.Shutdown does not wait for hijacked connections: call this first.
func (g *Gateway) Shutdown(ctx context.Context) error { return g.ws.Shutdown(ctx) }

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		next.ServeHTTP(w, r)
	})
}
