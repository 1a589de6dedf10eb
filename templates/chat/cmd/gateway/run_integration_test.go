//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/chat/internal/auth"
	"example.com/gopher-template/chat/internal/auth/authtest"
	"example.com/gopher-template/chat/internal/authgrpc"
	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/chat/chattest"
	"example.com/gopher-template/chat/internal/chatgrpc"
	"example.com/gopher-template/chat/internal/config"
	"example.com/gopher-template/chat/internal/fanout"
	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
	"example.com/gopher-template/chat/internal/jwtauth"
	"example.com/gopher-template/chat/internal/password"
	"example.com/gopher-template/chat/internal/testenv"
)

// run in front of auth and chat services on real ports (their stores in memory, the feed on the
// real NATS): REST through the gateway, a WebSocket that receives what it sent, and at shutdown
// the socket closed with 1001 and a clean exit.
func TestServe(t *testing.T) {
	t.Parallel()
	natsURL, prefix := testenv.NATS(t)
	logger := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	privPath, pubPath, err := jwtauth.WriteKeyFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jwtauth.LoadPrivateKey("", privPath)
	if err != nil {
		t.Fatal(err)
	}
	pubs, err := jwtauth.LoadPublicKeys("", []string{pubPath})
	if err != nil {
		t.Fatal(err)
	}
	issuer, _ := jwtauth.NewIssuer(priv, jwtauth.IssuerOptions{Issuer: config.AppName, Audience: config.AppName, TTL: time.Minute})
	verifier, _ := jwtauth.NewVerifier(pubs, jwtauth.VerifierOptions{Issuer: config.AppName, Audience: config.AppName})

	authSvc, err := auth.NewService(auth.Options{Store: authtest.NewMemoryStore(), Issuer: issuer, RefreshTTL: time.Hour,
		Password: password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	authAddr := startGRPC(t, grpcserver.Options{Logger: logger}, func(s *grpcserver.Server) {
		authv1.RegisterAuthServiceServer(s.Server, authgrpc.New(logger, authSvc))
	})
	nc, err := fanout.Connect(t.Context(), natsURL, "chat-test", logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	feed, err := fanout.New(nc, prefix, logger)
	if err != nil {
		t.Fatal(err)
	}
	chatSvc := chat.NewService(logger, chattest.NewMemoryStore(), feed)
	chatAddr := startGRPC(t, grpcserver.Options{Logger: logger, Verifier: verifier}, func(s *grpcserver.Server) {
		chatv1.RegisterChatServiceServer(s.Server, chatgrpc.New(logger, chatSvc))
	})

	httpAddr := testserve.FreeAddr(t)
	vars := map[string]string{
		"JWT_PUBLIC_KEY_FILES": filepath.Join(dir, "jwt-ed25519.pub.pem"),
		"NATS_URL":             natsURL,
		"SUBJECT_PREFIX":       prefix,
		"HTTP_ADDR":            httpAddr,
		"AUTH_TARGET":          "dns:///" + authAddr,
		"CHAT_TARGET":          "dns:///" + chatAddr,
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	exited := make(chan error, 1)
	var logs bytes.Buffer
	go func() { exited <- run(ctx, []string{"gateway"}, env(vars), &bytes.Buffer{}, &logs) }()
	testserve.WaitHealthy(t, httpAddr, exited)
	base := "http://" + httpAddr
	if code, body := call(t, http.MethodGet, base+"/readyz", "", nil); code != http.StatusOK {
		t.Errorf("/readyz = %d %v", code, body)
	}

	call(t, http.MethodPost, base+"/v1/auth/register", "", map[string]string{"username": "ada", "password": "correct horse"})
	_, login := call(t, http.MethodPost, base+"/v1/auth/login", "", map[string]string{"username": "ada", "password": "correct horse"})
	token, _ := login["tokens"].(map[string]any)["accessToken"].(string)
	_, created := call(t, http.MethodPost, base+"/v1/rooms", token, map[string]string{"name": "general"})
	room, _ := created["room"].(map[string]any)["id"].(string)
	if room == "" {
		t.Fatalf("no room: %v", created)
	}
	dialCtx, dialCancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer dialCancel()
	c, resp, err := websocket.Dial(dialCtx, "ws://"+httpAddr+"/v1/rooms/"+room+"/ws",
		&websocket.DialOptions{Subprotocols: []string{"chat.v1", "bearer." + token}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Body != nil {
		resp.Body.Close()
	}
	defer func() { _ = c.CloseNow() }()
	if err := c.Write(t.Context(), websocket.MessageText, []byte(`{"body":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	readCtx, readCancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer readCancel()
	_, data, err := c.Read(readCtx)
	if err != nil || !strings.Contains(string(data), `"body":"hello"`) {
		t.Fatalf("received %s, %v", data, err)
	}

	// The signal: the socket is closed with a close frame, and run returns nil.
	cancel()
	_, _, err = c.Read(t.Context())
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("at shutdown the client saw %v, want close 1001", err)
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

func startGRPC(t *testing.T, opts grpcserver.Options, register func(*grpcserver.Server)) string {
	t.Helper()
	opts.Registerer = prometheus.NewRegistry()
	opts.DefaultTimeout = 5 * time.Second
	srv, err := grpcserver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	register(srv)
	running, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { running.Stop(context.Background(), time.Second) })
	return running.Addr()
}

func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&buf).Encode(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
