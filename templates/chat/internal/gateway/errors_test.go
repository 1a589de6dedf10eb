package gateway_test

import (
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"

	"example.com/gopher-template/chat/internal/gateway"
)

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code codes.Code
		want int
	}{
		{codes.ResourceExhausted, http.StatusTooManyRequests}, // the auth service's password checks are all busy
		{codes.Unauthenticated, http.StatusUnauthorized},
		{codes.PermissionDenied, http.StatusForbidden},
		{codes.InvalidArgument, http.StatusBadRequest},
		{codes.Unavailable, http.StatusServiceUnavailable},
		{codes.DeadlineExceeded, http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		if got := gateway.HTTPStatus(tt.code); got != tt.want {
			t.Errorf("HTTPStatus(%s) = %d, want %d", tt.code, got, tt.want)
		}
	}
}
