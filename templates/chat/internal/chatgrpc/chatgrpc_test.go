package chatgrpc_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/chat/chattest"
	"example.com/gopher-template/chat/internal/chatgrpc"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
	"example.com/gopher-template/chat/internal/grpcserver/grpctest"
)

type fixture struct {
	conn   *grpc.ClientConn
	client chatv1.ChatServiceClient
	keys   grpctest.Keys
	feed   *chattest.MemoryFeed
	reg    *prometheus.Registry
}

func newFixture(t *testing.T, store chat.Store) fixture {
	t.Helper()
	keys := grpctest.NewKeys(t)
	feed := chattest.NewMemoryFeed()
	reg := prometheus.NewRegistry()
	svc := chat.NewService(slog.New(slog.DiscardHandler), store, feed)
	conn := grpctest.Serve(t, grpcserver.Options{Verifier: keys.Verifier, Registerer: reg}, func(s *grpc.Server) {
		chatv1.RegisterChatServiceServer(s, chatgrpc.New(slog.New(slog.DiscardHandler), svc))
	})
	return fixture{conn: conn, client: chatv1.NewChatServiceClient(conn), keys: keys, feed: feed, reg: reg}
}

func (f fixture) as(t *testing.T, userID, name string) context.Context {
	t.Helper()
	return grpctest.WithToken(t.Context(), f.keys.Token(t, userID, name))
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t, chattest.NewMemoryStore())
	other := grpctest.NewKeys(t)
	tests := []struct {
		name string
		ctx  context.Context
	}{
		{"no token", t.Context()},
		{"token of another issuer key", grpctest.WithToken(t.Context(), other.Token(t, uuid.NewString(), "eve"))},
		{"garbage token", grpctest.WithToken(t.Context(), "garbage")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := f.client.ListRooms(tt.ctx, &chatv1.ListRoomsRequest{}); status.Code(err) != codes.Unauthenticated {
				t.Errorf("ListRooms: %v, want Unauthenticated", err)
			}
		})
	}
	// Health checks need no token.
	resp, err := healthpb.NewHealthClient(f.conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health check = %v, %v", resp, err)
	}
}

func TestRoomsMessagesAndCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, chattest.NewMemoryStore())
	ada, bob := f.as(t, uuid.NewString(), "ada"), f.as(t, uuid.NewString(), "bob")
	created, err := f.client.CreateRoom(ada, &chatv1.CreateRoomRequest{Name: "general"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.GetRoom().GetId()
	sent, err := f.client.SendMessage(ada, &chatv1.SendMessageRequest{RoomId: room, Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if m := sent.GetMessage(); m.GetUsername() != "ada" || m.GetBody() != "hello" || m.GetId() == 0 {
		t.Errorf("sent = %v", m)
	}
	codesWanted := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"non-member send", func() error {
			_, err := f.client.SendMessage(bob, &chatv1.SendMessageRequest{RoomId: room, Body: "hi"})
			return err
		}, codes.PermissionDenied},
		{"missing room", func() error {
			_, err := f.client.JoinRoom(bob, &chatv1.JoinRoomRequest{RoomId: uuid.NewString()})
			return err
		}, codes.NotFound},
		{"bad room id", func() error {
			_, err := f.client.ListMessages(ada, &chatv1.ListMessagesRequest{RoomId: "general"})
			return err
		}, codes.InvalidArgument},
		{"empty body", func() error {
			_, err := f.client.SendMessage(ada, &chatv1.SendMessageRequest{RoomId: room})
			return err
		}, codes.InvalidArgument},
	}
	for _, tt := range codesWanted {
		if err := tt.call(); status.Code(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
	if _, err := f.client.JoinRoom(bob, &chatv1.JoinRoomRequest{RoomId: room}); err != nil {
		t.Fatal(err)
	}
	history, err := f.client.ListMessages(bob, &chatv1.ListMessagesRequest{RoomId: room})
	if err != nil || len(history.GetMessages()) != 1 || history.GetMessages()[0].GetBody() != "hello" {
		t.Errorf("history = %v, %v", history, err)
	}
	rooms, err := f.client.ListRooms(bob, &chatv1.ListRoomsRequest{})
	if err != nil || len(rooms.GetRooms()) != 1 {
		t.Errorf("rooms = %v, %v", rooms, err)
	}
	// The metrics interceptor counted the calls, by code.
	if n := testutil.ToFloat64(counter(t, f.reg, "SendMessage", "PermissionDenied")); n != 1 {
		t.Errorf("grpc_server_handled_total{SendMessage,PermissionDenied} = %v, want 1", n)
	}
}

func counter(t *testing.T, reg *prometheus.Registry, method, code string) prometheus.Collector {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() != "grpc_server_handled_total" {
			continue
		}
		for _, m := range fam.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["grpc_method"] == method && labels["grpc_code"] == code {
				g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
				g.Set(m.GetCounter().GetValue())
				return g
			}
		}
	}
	t.Fatalf("no grpc_server_handled_total for %s/%s", method, code)
	return nil
}

func TestStreamMessages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, chattest.NewMemoryStore())
	adaID := uuid.NewString()
	ada := f.as(t, adaID, "ada")
	created, err := f.client.CreateRoom(ada, &chatv1.CreateRoomRequest{Name: "general"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.GetRoom().GetId()

	outsider, err := f.client.StreamMessages(f.as(t, uuid.NewString(), "eve"), &chatv1.StreamMessagesRequest{RoomId: room})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outsider.Recv(); status.Code(err) != codes.PermissionDenied {
		t.Errorf("non-member stream: %v, want PermissionDenied", err)
	}

	ctx, cancel := context.WithTimeout(ada, 10*time.Second)
	defer cancel()
	stream, err := f.client.StreamMessages(ctx, &chatv1.StreamMessagesRequest{RoomId: room})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil { // the stream is open: the subscription exists
		t.Fatal(err)
	}
	waitFor(t, func() bool { return f.feed.Subscribers(room) == 1 })
	for _, body := range []string{"one", "two"} {
		if _, err := f.client.SendMessage(ada, &chatv1.SendMessageRequest{RoomId: room, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"one", "two"} {
		got, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if got.GetMessage().GetBody() != want || got.GetMessage().GetUserId() != adaID {
			t.Errorf("streamed %v, want body %q", got.GetMessage(), want)
		}
	}
	cancel()
	waitFor(t, func() bool { return f.feed.Subscribers(room) == 0 })
}

// panicky is a store whose ListRooms panics.
type panicky struct{ chat.Store }

func (panicky) ListRooms(context.Context, string, int) ([]chat.Room, error) { panic("boom") }

func TestPanicBecomesInternal(t *testing.T) {
	t.Parallel()
	f := newFixture(t, panicky{chattest.NewMemoryStore()})
	ctx := f.as(t, uuid.NewString(), "ada")
	_, err := f.client.ListRooms(ctx, &chatv1.ListRoomsRequest{})
	if status.Code(err) != codes.Internal || strings.Contains(err.Error(), "boom") {
		t.Fatalf("ListRooms = %v, want Internal without the panic's text", err)
	}
	if _, err := f.client.CreateRoom(ctx, &chatv1.CreateRoomRequest{Name: "still serving"}); err != nil {
		t.Errorf("the server does not serve after a panic: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseStreamsEndsThemUnavailable(t *testing.T) {
	t.Parallel()
	keys := grpctest.NewKeys(t)
	svc := chat.NewService(slog.New(slog.DiscardHandler), chattest.NewMemoryStore(), chattest.NewMemoryFeed())
	srv := chatgrpc.New(slog.New(slog.DiscardHandler), svc)
	conn := grpctest.Serve(t, grpcserver.Options{Verifier: keys.Verifier}, func(s *grpc.Server) { chatv1.RegisterChatServiceServer(s, srv) })
	client := chatv1.NewChatServiceClient(conn)
	ctx := grpctest.WithToken(t.Context(), keys.Token(t, uuid.NewString(), "ada"))
	created, err := client.CreateRoom(ctx, &chatv1.CreateRoomRequest{Name: "general"})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := client.StreamMessages(ctx, &chatv1.StreamMessagesRequest{RoomId: created.GetRoom().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatal(err)
	}
	srv.CloseStreams()
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
		t.Errorf("stream after CloseStreams: %v, want UNAVAILABLE", err)
	}
}
