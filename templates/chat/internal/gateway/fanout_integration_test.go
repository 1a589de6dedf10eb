//go:build integration

package gateway_test

import (
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/grpc"

	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/chat/internal/auth"
	"example.com/gopher-template/chat/internal/authgrpc"
	"example.com/gopher-template/chat/internal/authpg"
	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/chatgrpc"
	"example.com/gopher-template/chat/internal/chatpg"
	"example.com/gopher-template/chat/internal/fanout"
	"example.com/gopher-template/chat/internal/gateway"
	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
	"example.com/gopher-template/chat/internal/grpcserver/grpctest"
	"example.com/gopher-template/chat/internal/migrations"
	"example.com/gopher-template/chat/internal/password"
	"example.com/gopher-template/chat/internal/testenv"
)

// Two gateways, each with its own NATS connection and hub, in front of one chat service on
// PostgreSQL that publishes to NATS: a client of gateway A receives what a client of gateway B
// sent, and the message is in the history.
func TestFanOutAcrossGateways(t *testing.T) {
	t.Parallel()
	natsURL, prefix := testenv.NATS(t)
	logger := slog.New(slog.DiscardHandler)
	keys := grpctest.NewKeys(t)
	ctx := t.Context()

	authSvc, err := auth.NewService(auth.Options{Store: authpg.New(testenv.Pool(t, migrations.Auth)), Issuer: keys.Issuer,
		RefreshTTL: time.Hour, Password: password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	authConn := grpctest.Serve(t, grpcserver.Options{}, func(s *grpc.Server) {
		authv1.RegisterAuthServiceServer(s, authgrpc.New(logger, authSvc))
	})
	feed := func() *fanout.Feed {
		nc, err := fanout.Connect(ctx, natsURL, "gateway-test", logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		f, err := fanout.New(nc, prefix, logger)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	chatSvc := chat.NewService(logger, chatpg.New(testenv.Pool(t, migrations.Chat)), feed())
	chatConn := grpctest.Serve(t, grpcserver.Options{Verifier: keys.Verifier}, func(s *grpc.Server) {
		chatv1.RegisterChatServiceServer(s, chatgrpc.New(logger, chatSvc))
	})

	gateways := make([]stack, 2)
	for i := range gateways {
		hub := gateway.NewHub(ctx, logger, feed())
		rec := &recorder{dropped: map[string]int{}}
		gw, err := gateway.New(ctx, logger, gateway.Options{
			Auth: authv1.NewAuthServiceClient(authConn), Chat: chatv1.NewChatServiceClient(chatConn),
			Verifier: keys.Verifier, Hub: hub, WS: defaultWS(), Recorder: rec,
		})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(logging.Middleware(logger)(gw))
		t.Cleanup(srv.Close)
		gateways[i] = stack{url: srv.URL, gw: gw, hub: hub, rec: rec, keys: keys}
	}
	a, b := gateways[0], gateways[1]

	ada := login(t, a.url, "ada")
	bob := login(t, b.url, "bob")
	room := createRoom(t, a.url, ada)
	onA, _, err := dial(t, a, room, ada, nil)
	if err != nil {
		t.Fatal(err)
	}
	onB, _, err := dial(t, b, room, bob, nil)
	if err != nil {
		t.Fatal(err)
	}
	send(t, onB, "from gateway B")
	for name, c := range map[string]*websocket.Conn{"ada on A": onA, "bob on B": onB} {
		if f := read(t, c); f.Type != "message" || f.Message["body"] != "from gateway B" || f.Message["username"] != "bob" {
			t.Errorf("%s received %+v", name, f)
		}
	}
	send(t, onA, "from gateway A")
	if f := read(t, onB); f.Message["body"] != "from gateway A" {
		t.Errorf("bob on B received %+v", f)
	}
	_, history := call(t, "GET", b.url+"/v1/rooms/"+room+"/messages", bob, nil)
	if msgs, _ := history["messages"].([]any); len(msgs) != 2 {
		t.Errorf("history = %v, want both messages", history)
	}
}
