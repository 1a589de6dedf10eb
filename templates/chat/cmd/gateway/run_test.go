package main

import (
	"bytes"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, wantStdout, wantErr string
		args                      []string
		env                       map[string]string
	}{
		{name: "version", args: []string{"gateway", "version"}, wantStdout: "dev\n"},
		{name: "help", args: []string{"gateway", "help"}, wantStdout: "healthcheck"},
		{name: "unknown command", args: []string{"gateway", "migrate"}, wantErr: "unknown command"},
		{name: "no public key", args: []string{"gateway"}, wantErr: "JWT_PUBLIC_KEYS"},
		{name: "queue out of bounds", args: []string{"gateway"}, env: map[string]string{"JWT_PUBLIC_KEYS": "x", "WS_SEND_QUEUE": "0"}, wantErr: "WS_SEND_QUEUE"},
		{name: "healthcheck with nobody listening", args: []string{"gateway", "healthcheck"}, env: map[string]string{"HTTP_ADDR": "127.0.0.1:1"}, wantErr: "healthcheck"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout bytes.Buffer
			err := run(t.Context(), tt.args, env(tt.env), &stdout, &bytes.Buffer{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run = %v, want an error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("run = %v, stdout %q; want %q", err, stdout.String(), tt.wantStdout)
			}
		})
	}
}
