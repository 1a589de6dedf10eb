package exitcode

import (
	"errors"
	"fmt"
	"testing"

	"example.com/gopher-template/cli/internal/api"
)

func TestFrom(t *testing.T) {
	status := func(code int) error { return &api.StatusError{Method: "GET", Path: "/x", StatusCode: code} }
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("boom"), General},
		{"usage", NewUsageError(errors.New("bad flag")), Usage},
		{"wrapped usage", fmt.Errorf("ctx: %w", NewUsageError(errors.New("bad"))), Usage},
		{"network", &api.NetworkError{Err: errors.New("refused")}, Network},
		{"not found", status(404), NotFound},
		{"wrapped not found", fmt.Errorf("get: %w", status(404)), NotFound},
		{"unauthorized", status(401), Auth},
		{"forbidden", status(403), Auth},
		{"bad request", status(400), General},
		{"conflict", status(409), General},
		{"rate limited", status(429), General},
		{"server error", status(500), General},
		{"bad gateway", status(502), General},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := From(tt.err); got != tt.want {
				t.Errorf("From(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
	if NewUsageError(nil) != nil {
		t.Error("NewUsageError(nil) != nil")
	}
}
