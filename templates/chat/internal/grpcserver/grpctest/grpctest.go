// Package grpctest serves services through the real grpcserver (every interceptor) on an
// in-memory bufconn listener, and hands out signed test tokens.
package grpctest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"example.com/gopher-template/chat/internal/grpcserver"
	"example.com/gopher-template/chat/internal/jwtauth"
)

// Keys is a signing key pair for tests.
type Keys struct {
	Issuer   *jwtauth.Issuer
	Verifier *jwtauth.Verifier
}

// NewKeys returns an issuer and its verifier (issuer "auth", audience "chat").
func NewKeys(t testing.TB) Keys {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := jwtauth.NewIssuer(priv, jwtauth.IssuerOptions{Issuer: "auth", Audience: "chat", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := jwtauth.NewVerifier([]ed25519.PublicKey{pub}, jwtauth.VerifierOptions{Issuer: "auth", Audience: "chat"})
	if err != nil {
		t.Fatal(err)
	}
	return Keys{Issuer: iss, Verifier: ver}
}

// Token returns an access token for the user.
func (k Keys) Token(t testing.TB, userID, username string) string {
	t.Helper()
	tok, _, err := k.Issuer.Issue(jwtauth.Principal{UserID: userID, Username: username})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// WithToken returns ctx whose outgoing calls carry the token.
func WithToken(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// Serve starts a server with opts (Logger and Registerer default to a discarding logger and a
// fresh registry), lets register add services, and returns a client connection to it. Both
// stop when the test ends.
func Serve(t testing.TB, opts grpcserver.Options, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	if opts.DefaultTimeout == 0 {
		opts.DefaultTimeout = 5 * time.Second
	}
	srv, err := grpcserver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	register(srv.Server)
	ln := bufconn.Listen(1 << 20)
	running := srv.Serve(context.Background(), ln)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		running.Stop(context.Background(), time.Second)
	})
	return conn
}
