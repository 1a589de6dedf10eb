package grpcserver

import (
	"context"

	grpcauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"example.com/gopher-template/chat/internal/jwtauth"
)

type principalKey struct{}

// AuthFunc verifies the "authorization: Bearer <jwt>" metadata of a call and puts its principal
// in the context. Any failure is Unauthenticated, with no detail of which check failed.
func AuthFunc(v *jwtauth.Verifier) grpcauth.AuthFunc {
	return func(ctx context.Context) (context.Context, error) {
		token, err := grpcauth.AuthFromMD(ctx, "bearer")
		if err != nil {
			return nil, err //nolint:wrapcheck // already an Unauthenticated status
		}
		p, err := v.Verify(token)
		if err != nil {
			return nil, status.Error(codes.Unauthenticated, "invalid access token")
		}
		return WithPrincipal(ctx, p), nil
	}
}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p jwtauth.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller that AuthFunc verified.
func PrincipalFrom(ctx context.Context) (jwtauth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(jwtauth.Principal)
	return p, ok
}

// Internal logs err and returns the Internal status a client sees: no detail of the failure
// leaves the service.
func Internal(ctx context.Context, logger interface {
	ErrorContext(ctx context.Context, msg string, args ...any)
}, err error,
) error {
	logger.ErrorContext(ctx, "internal error", "error", err)
	return status.Error(codes.Internal, "internal error")
}
