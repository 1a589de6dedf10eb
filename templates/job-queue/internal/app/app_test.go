package app_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"example.com/gopher-template/job-queue/internal/app"
	"example.com/gopher-template/job-queue/internal/app/apptest"
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
	apptest.RunCases(t, func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
		return app.Main(ctx, cmd, args, getenv, stdout, stderr)
	}, []apptest.Case{
		{Name: "version", Args: []string{"test", "version"}, WantStdout: "v1.2.3\n"},
		{Name: "version ignores the settings", Args: []string{"test", "version"}, Env: map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, WantStdout: "v1.2.3\n"},
		{Name: "unknown command", Args: []string{"test", "frobnicate"}, WantErr: "unknown command"},
		{Name: "healthcheck without a server", Args: []string{"test", "healthcheck"}, Env: map[string]string{"HTTP_ADDR": "127.0.0.1:1"}, WantErr: "healthcheck"},
		{Name: "healthcheck with invalid settings", Args: []string{"test", "healthcheck"}, Env: map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, WantErr: "SHUTDOWN_TIMEOUT"},
		{Name: "invalid settings", Args: []string{"test"}, Env: map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, WantErr: "SHUTDOWN_TIMEOUT"},
		{Name: "invalid stream prefix", Args: []string{"test"}, Env: map[string]string{"STREAM_PREFIX": "a.b"}, WantErr: "stream prefix"},
		{Name: "nats unreachable", Args: []string{"test"}, Env: map[string]string{"NATS_URL": "nats://127.0.0.1:1"}, WantErr: "connect to nats"},
	})
}
