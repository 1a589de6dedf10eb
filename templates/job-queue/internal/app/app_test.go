package app_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"example.com/gopher-template/job-queue/internal/app"
	"example.com/gopher-template/job-queue/internal/config"
)

// What Main does before Build needs no NATS server; the binaries' integration tests go further.
func TestMainBeforeBuild(t *testing.T) {
	t.Parallel()

	cmd := app.Command[config.API]{
		Name:    "test",
		Version: "v1.2.3",
		Load:    config.LoadAPI,
		Build: func(context.Context, app.Deps, config.API) (app.Service, error) {
			return app.Service{}, errors.New("Build must not be reached")
		},
	}
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantErr    string
		wantStdout string
	}{
		{name: "version", args: []string{"test", "version"}, wantStdout: "v1.2.3\n"},
		{name: "version ignores the settings", args: []string{"test", "version"}, env: map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, wantStdout: "v1.2.3\n"},
		{name: "unknown command", args: []string{"test", "frobnicate"}, wantErr: "unknown command"},
		{name: "healthcheck without a server", args: []string{"test", "healthcheck"}, env: map[string]string{"HTTP_ADDR": "127.0.0.1:1"}, wantErr: "healthcheck"},
		{name: "healthcheck with invalid settings", args: []string{"test", "healthcheck"}, env: map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, wantErr: "SHUTDOWN_TIMEOUT"},
		{name: "invalid settings", args: []string{"test"}, env: map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, wantErr: "SHUTDOWN_TIMEOUT"},
		{name: "invalid stream prefix", args: []string{"test"}, env: map[string]string{"STREAM_PREFIX": "a.b"}, wantErr: "stream prefix"},
		{name: "nats unreachable", args: []string{"test"}, env: map[string]string{"NATS_URL": "nats://127.0.0.1:1"}, wantErr: "connect to nats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := app.Main(t.Context(), cmd, tt.args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Main(%v) = %v, want an error containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Main(%v): %v", tt.args, err)
			}
			if stdout.String() != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.wantStdout)
			}
		})
	}
}
