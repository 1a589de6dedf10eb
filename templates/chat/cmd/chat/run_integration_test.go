//go:build integration

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/chat/internal/config"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/jwtauth"
	"example.com/gopher-template/chat/internal/testenv"
)

// run serves on real ports against a fresh database and NATS subject prefix: a room, a stream
// of it, a message sent and streamed, then a clean exit that ends the stream UNAVAILABLE.
func TestServe(t *testing.T) {
	t.Parallel()
	natsURL, prefix := testenv.NATS(t)
	dir := t.TempDir()
	privPath, pubPath, err := jwtauth.WriteKeyFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	httpAddr, grpcAddr := testserve.FreeAddr(t), testserve.FreeAddr(t)
	vars := map[string]string{
		"DATABASE_URL":    testenv.DatabaseURL(t),
		"JWT_PUBLIC_KEYS": string(pubPEM), // the environment form of the key
		"NATS_URL":        natsURL,
		"SUBJECT_PREFIX":  prefix,
		"HTTP_ADDR":       httpAddr,
		"GRPC_ADDR":       grpcAddr,
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	exited := make(chan error, 1)
	var logs bytes.Buffer
	go func() { exited <- run(ctx, []string{"chat"}, env(vars), &bytes.Buffer{}, &logs) }()
	testserve.WaitHealthy(t, httpAddr, exited)

	priv, err := jwtauth.LoadPrivateKey("", filepath.Clean(privPath))
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := jwtauth.NewIssuer(priv, jwtauth.IssuerOptions{Issuer: config.AppName, Audience: config.AppName, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := issuer.Issue(jwtauth.Principal{UserID: uuid.NewString(), Username: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := chatv1.NewChatServiceClient(conn)
	callCtx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
	created, err := client.CreateRoom(callCtx, &chatv1.CreateRoomRequest{Name: "general"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.GetRoom().GetId()
	stream, err := client.StreamMessages(callCtx, &chatv1.StreamMessagesRequest{RoomId: room})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SendMessage(callCtx, &chatv1.SendMessageRequest{RoomId: room, Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	got, err := stream.Recv()
	if err != nil || got.GetMessage().GetBody() != "hello" {
		t.Fatalf("streamed %v, %v", got, err)
	}

	cancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
		t.Errorf("stream at shutdown: %v, want UNAVAILABLE", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}
