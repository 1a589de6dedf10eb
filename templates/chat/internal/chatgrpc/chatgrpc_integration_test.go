//go:build integration

package chatgrpc_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/chat/chattest"
	"example.com/gopher-template/chat/internal/chatgrpc"
	"example.com/gopher-template/chat/internal/fanout"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
	"example.com/gopher-template/chat/internal/grpcserver/grpctest"
	"example.com/gopher-template/chat/internal/testenv"
)

// Streams on the NATS feed: each delivers what is sent, and clients that go away (the stream's
// context ends while StreamMessages returns and stops its subscription) leave no subscription
// behind and never crash the server.
func TestStreamsOnTheNATSFeedEndCleanly(t *testing.T) {
	t.Parallel()
	natsURL, prefix := testenv.NATS(t)
	logger := slog.New(slog.DiscardHandler)
	nc, err := fanout.Connect(t.Context(), natsURL, "chatgrpc-test", logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	feed, err := fanout.New(nc, prefix, logger)
	if err != nil {
		t.Fatal(err)
	}
	keys := grpctest.NewKeys(t)
	svc := chat.NewService(logger, chattest.NewMemoryStore(), feed)
	conn := grpctest.Serve(t, grpcserver.Options{Verifier: keys.Verifier}, func(s *grpc.Server) {
		chatv1.RegisterChatServiceServer(s, chatgrpc.New(logger, svc))
	})
	client := chatv1.NewChatServiceClient(conn)
	ada := grpctest.WithToken(t.Context(), keys.Token(t, uuid.NewString(), "ada"))
	created, err := client.CreateRoom(ada, &chatv1.CreateRoomRequest{Name: "general"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.GetRoom().GetId()

	// First, a stream delivers.
	ctx, cancel := context.WithTimeout(ada, 10*time.Second)
	defer cancel()
	stream, err := client.StreamMessages(ctx, &chatv1.StreamMessagesRequest{RoomId: room})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil { // subscribed
		t.Fatal(err)
	}
	if _, err := client.SendMessage(ada, &chatv1.SendMessageRequest{RoomId: room, Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	if got, err := stream.Recv(); err != nil || got.GetMessage().GetBody() != "hello" {
		t.Errorf("streamed %v, %v; want hello", got.GetMessage(), err)
	}
	cancel()

	// Then many clients go away, a few at a time.
	const rounds, streams = 50, 16
	for range rounds {
		ctx, cancel := context.WithCancel(ada)
		for range streams {
			s, err := client.StreamMessages(ctx, &chatv1.StreamMessagesRequest{RoomId: room})
			if err != nil {
				cancel()
				t.Fatal(err)
			}
			if _, err := s.Header(); err != nil { // subscribed
				cancel()
				t.Fatal(err)
			}
		}
		cancel()
	}
	waitFor(t, func() bool { return nc.NumSubscriptions() == 0 })
	// The server still serves.
	if _, err := client.ListRooms(ada, &chatv1.ListRoomsRequest{}); err != nil {
		t.Errorf("ListRooms after the streams ended: %v", err)
	}
}
