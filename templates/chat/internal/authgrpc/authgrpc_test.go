package authgrpc_test

import (
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"example.com/gopher-template/chat/internal/auth"
	"example.com/gopher-template/chat/internal/auth/authtest"
	"example.com/gopher-template/chat/internal/authgrpc"
	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
	"example.com/gopher-template/chat/internal/grpcserver/grpctest"
	"example.com/gopher-template/chat/internal/password"
)

func client(t *testing.T) (authv1.AuthServiceClient, grpctest.Keys) {
	t.Helper()
	keys := grpctest.NewKeys(t)
	svc, err := auth.NewService(auth.Options{
		Store: authtest.NewMemoryStore(), Issuer: keys.Issuer, RefreshTTL: time.Hour,
		Password: password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	conn := grpctest.Serve(t, grpcserver.Options{}, func(s *grpc.Server) {
		authv1.RegisterAuthServiceServer(s, authgrpc.New(slog.New(slog.DiscardHandler), svc))
	})
	return authv1.NewAuthServiceClient(conn), keys
}

func TestAuthFlow(t *testing.T) {
	t.Parallel()
	c, keys := client(t)
	ctx := t.Context()
	reg, err := c.Register(ctx, &authv1.RegisterRequest{Username: "ada", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	login, err := c.Login(ctx, &authv1.LoginRequest{Username: "ada", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	tokens := login.GetTokens()
	if tokens.GetTokenType() != "Bearer" || !tokens.GetAccessTokenExpiresAt().AsTime().After(time.Now()) {
		t.Errorf("tokens = %v", tokens)
	}
	p, err := keys.Verifier.Verify(tokens.GetAccessToken())
	if err != nil || p.UserID != reg.GetUserId() {
		t.Fatalf("access token: %+v, %v", p, err)
	}
	refreshed, err := c.Refresh(ctx, &authv1.RefreshRequest{RefreshToken: tokens.GetRefreshToken()})
	if err != nil {
		t.Fatal(err)
	}
	// Reuse of the first refresh token revokes the family: the refreshed one dies with it.
	if _, err := c.Refresh(ctx, &authv1.RefreshRequest{RefreshToken: tokens.GetRefreshToken()}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("reused refresh token: %v, want Unauthenticated", err)
	}
	if _, err := c.Refresh(ctx, &authv1.RefreshRequest{RefreshToken: refreshed.GetTokens().GetRefreshToken()}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("token of the revoked family: %v, want Unauthenticated", err)
	}
	if _, err := c.Logout(ctx, &authv1.LogoutRequest{RefreshToken: refreshed.GetTokens().GetRefreshToken()}); err != nil {
		t.Errorf("Logout: %v", err)
	}
}

func TestAuthErrorCodes(t *testing.T) {
	t.Parallel()
	c, _ := client(t)
	ctx := t.Context()
	if _, err := c.Register(ctx, &authv1.RegisterRequest{Username: "ada", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"invalid username", func() error {
			_, err := c.Register(ctx, &authv1.RegisterRequest{Username: "A", Password: "correct horse"})
			return err
		}, codes.InvalidArgument},
		{"taken username", func() error {
			_, err := c.Register(ctx, &authv1.RegisterRequest{Username: "ada", Password: "correct horse"})
			return err
		}, codes.AlreadyExists},
		{"wrong password", func() error {
			_, err := c.Login(ctx, &authv1.LoginRequest{Username: "ada", Password: "wrong horse"})
			return err
		}, codes.Unauthenticated},
		{"unknown user", func() error {
			_, err := c.Login(ctx, &authv1.LoginRequest{Username: "bob", Password: "correct horse"})
			return err
		}, codes.Unauthenticated},
		{"garbage refresh token", func() error {
			_, err := c.Refresh(ctx, &authv1.RefreshRequest{RefreshToken: "nope"})
			return err
		}, codes.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.call(); status.Code(err) != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}
