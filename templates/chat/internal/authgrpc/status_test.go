package authgrpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"example.com/gopher-template/chat/internal/auth"
)

func TestToStatus(t *testing.T) {
	t.Parallel()
	s := New(slog.New(slog.DiscardHandler), nil)
	tests := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"busy until the deadline", fmt.Errorf("auth: login: %w (%w)", auth.ErrBusy, context.DeadlineExceeded), codes.ResourceExhausted},
		{"busy until canceled", fmt.Errorf("auth: register: %w (%w)", auth.ErrBusy, context.Canceled), codes.ResourceExhausted},
		{"deadline", fmt.Errorf("auth: login: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"invalid credentials", auth.ErrInvalidCredentials, codes.Unauthenticated},
		{"reused refresh token", auth.ErrRefreshTokenReused, codes.Unauthenticated},
		{"username taken", fmt.Errorf("auth: register: %w", auth.ErrUsernameTaken), codes.AlreadyExists},
		{"validation", &auth.ValidationError{Field: "username", Reason: "too short"}, codes.InvalidArgument},
		{"anything else", errors.New("authpg: connection refused"), codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := status.Code(s.toStatus(t.Context(), tt.err)); got != tt.want {
				t.Errorf("toStatus(%v) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
}
