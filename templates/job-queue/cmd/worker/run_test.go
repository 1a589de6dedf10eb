package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunSubcommands(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantErr    string
		wantStdout string
	}{
		{name: "version", args: []string{"worker", "version"}, wantStdout: "dev\n"},
		{name: "unknown command", args: []string{"worker", "frobnicate"}, wantErr: "unknown command"},
		{name: "healthcheck without a server", args: []string{"worker", "healthcheck"}, env: map[string]string{"HTTP_ADDR": "127.0.0.1:1"}, wantErr: "healthcheck"},
		{name: "invalid config", args: []string{"worker"}, env: map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, wantErr: "SHUTDOWN_TIMEOUT"},
		{name: "invalid stream prefix", args: []string{"worker"}, env: map[string]string{"STREAM_PREFIX": "a.b"}, wantErr: "stream prefix"},
		{name: "nats unreachable", args: []string{"worker"}, env: map[string]string{"NATS_URL": "nats://127.0.0.1:1"}, wantErr: "connect to nats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return tt.env[k] }
			err := run(t.Context(), tt.args, getenv, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run(%v) = %v, want an error containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run(%v): %v", tt.args, err)
			}
			if stdout.String() != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.wantStdout)
			}
		})
	}
}
