package main

import (
	"bytes"
	"strings"
	"testing"

	"example.com/gopher-template/cli/internal/config"
)

func TestRun(t *testing.T) {
	const path = "/elsewhere/config.yaml"
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout string // prefix
		wantStderr string // prefix
	}{
		{"version", []string{"version"}, nil, 0, config.AppName + " dev (go", ""},
		{"config path from the environment", []string{"config", "path"}, map[string]string{config.EnvPrefix + "CONFIG": path}, 0, path + "\n", ""},
		{"usage error", []string{"no-such-command"}, nil, 2, "", config.AppName + `: unknown command "no-such-command"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, func(k string) string { return tt.env[k] }, strings.NewReader(""), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to start with %q", stdout.String(), tt.wantStdout)
			}
			if !strings.HasPrefix(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to start with %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}
