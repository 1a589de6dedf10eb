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
		{name: "version", args: []string{"chat", "version"}, wantStdout: "dev\n"},
		{name: "help", args: []string{"chat", "--help"}, wantStdout: "migrate"},
		{name: "unknown command", args: []string{"chat", "keys"}, wantErr: "unknown command"},
		{name: "no public key", args: []string{"chat"}, env: map[string]string{"DATABASE_URL": "postgres://x/y"}, wantErr: "JWT_PUBLIC_KEYS"},
		{name: "unreadable key file", args: []string{"chat"}, env: map[string]string{"DATABASE_URL": "postgres://x/y", "JWT_PUBLIC_KEY_FILES": "/nonexistent.pem"}, wantErr: "no such file"},
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
