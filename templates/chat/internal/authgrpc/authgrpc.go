// Package authgrpc serves auth.v1.AuthService over gRPC on top of auth.Service, and maps its
// errors to status codes.
package authgrpc

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"example.com/gopher-template/chat/internal/auth"
	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
)

// Server implements authv1.AuthServiceServer.
type Server struct {
	authv1.UnimplementedAuthServiceServer
	svc    *auth.Service
	logger *slog.Logger
}

// New returns the gRPC face of svc.
func New(logger *slog.Logger, svc *auth.Service) *Server { return &Server{svc: svc, logger: logger} }

func (s *Server) Register(ctx context.Context, req *authv1.RegisterRequest) (*authv1.RegisterResponse, error) {
	id, err := s.svc.Register(ctx, req.GetUsername(), req.GetPassword())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &authv1.RegisterResponse{UserId: id}, nil
}

func (s *Server) Login(ctx context.Context, req *authv1.LoginRequest) (*authv1.LoginResponse, error) {
	t, err := s.svc.Login(ctx, req.GetUsername(), req.GetPassword())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &authv1.LoginResponse{Tokens: pair(t)}, nil
}

func (s *Server) Refresh(ctx context.Context, req *authv1.RefreshRequest) (*authv1.RefreshResponse, error) {
	t, err := s.svc.Refresh(ctx, req.GetRefreshToken())
	if err != nil {
		if errors.Is(err, auth.ErrRefreshTokenReused) {
			s.logger.WarnContext(ctx, "refresh token reused; its family is revoked")
		}
		return nil, s.toStatus(ctx, err)
	}
	return &authv1.RefreshResponse{Tokens: pair(t)}, nil
}

func (s *Server) Logout(ctx context.Context, req *authv1.LogoutRequest) (*authv1.LogoutResponse, error) {
	if err := s.svc.Logout(ctx, req.GetRefreshToken()); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &authv1.LogoutResponse{}, nil
}

func pair(t auth.Tokens) *authv1.TokenPair {
	return &authv1.TokenPair{
		AccessToken:           t.Access,
		AccessTokenExpiresAt:  timestamppb.New(t.AccessExpiresAt),
		RefreshToken:          t.Refresh,
		RefreshTokenExpiresAt: timestamppb.New(t.RefreshExpiresAt),
		TokenType:             "Bearer",
	}
}

// toStatus maps the domain's errors to gRPC codes (and the gateway maps those to HTTP).
func (s *Server) toStatus(ctx context.Context, err error) error {
	var ve *auth.ValidationError
	switch {
	case errors.As(err, &ve):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, auth.ErrUsernameTaken):
		return status.Error(codes.AlreadyExists, "username taken")
	case errors.Is(err, auth.ErrInvalidCredentials):
		return status.Error(codes.Unauthenticated, "invalid username or password")
	case errors.Is(err, auth.ErrInvalidRefreshToken):
		return status.Error(codes.Unauthenticated, "invalid refresh token")
	case errors.Is(err, auth.ErrBusy): // before the context's errors, which it wraps
		return status.Error(codes.ResourceExhausted, auth.ErrBusy.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	default:
		return grpcserver.Internal(ctx, s.logger, err)
	}
}
