//go:build integration

package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"example.com/gopher-template/plumbing/testserve"

	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	"example.com/gopher-template/chat/internal/jwtauth"
	"example.com/gopher-template/chat/internal/testenv"
)

// run serves on real ports against a fresh database: /healthz, the gRPC health service, a
// register and a login, then a clean exit when its context ends.
func TestServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := jwtauth.WriteKeyFiles(dir); err != nil {
		t.Fatal(err)
	}
	httpAddr, grpcAddr := testserve.FreeAddr(t), testserve.FreeAddr(t)
	vars := map[string]string{
		"DATABASE_URL":         testenv.DatabaseURL(t),
		"JWT_PRIVATE_KEY_FILE": filepath.Join(dir, "jwt-ed25519.pem"),
		"HTTP_ADDR":            httpAddr,
		"GRPC_ADDR":            grpcAddr,
		"ARGON2_MEMORY_KIB":    "8192",
		"ARGON2_ITERATIONS":    "1",
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	exited := make(chan error, 1)
	var logs bytes.Buffer
	go func() { exited <- run(ctx, []string{"auth"}, env(vars), &bytes.Buffer{}, &logs) }()
	testserve.WaitHealthy(t, httpAddr, exited)

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitServing(t, conn)
	client := authv1.NewAuthServiceClient(conn)
	if _, err := client.Register(t.Context(), &authv1.RegisterRequest{Username: "ada", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	login, err := client.Login(t.Context(), &authv1.LoginRequest{Username: "ada", Password: "correct horse"})
	if err != nil || login.GetTokens().GetAccessToken() == "" {
		t.Fatalf("login: %v, %v", login, err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+httpAddr+"/metrics", http.NoBody)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body.Bytes(), []byte(`chat_auth_events_total{event="login"} 1`)) ||
		!bytes.Contains(body.Bytes(), []byte(`grpc_server_handled_total{grpc_code="OK",grpc_method="Login"`)) {
		t.Errorf("/metrics lacks the login counters:\n%.2000s", body.String())
	}

	cancel()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func waitServing(t *testing.T, conn *grpc.ClientConn) {
	t.Helper()
	hc := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{Service: authv1.AuthService_ServiceDesc.ServiceName})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the gRPC health service did not report SERVING")
}
