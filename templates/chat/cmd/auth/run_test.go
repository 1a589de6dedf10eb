package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/gopher-template/chat/internal/jwtauth"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantStdout string
		wantErr    string
	}{
		{name: "version", args: []string{"auth", "version"}, wantStdout: "dev\n"},
		{name: "help", args: []string{"auth", "help"}, wantStdout: "keys"},
		{name: "unknown command", args: []string{"auth", "frobnicate"}, wantErr: "unknown command"},
		{name: "serve without a database", args: []string{"auth"}, env: map[string]string{"JWT_PRIVATE_KEY_FILE": "k.pem"}, wantErr: "DATABASE_URL"},
		{name: "serve without a key", args: []string{"auth", "serve"}, env: map[string]string{"DATABASE_URL": "postgres://x/y"}, wantErr: "JWT_PRIVATE_KEY"},
		{name: "migrate without a database", args: []string{"auth", "migrate"}, wantErr: "DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, env(tt.env), &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run = %v, want an error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tt.wantStdout)
			}
		})
	}
}

func TestKeysCommand(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"auth", "keys", dir}, env(nil), &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	priv, err := jwtauth.LoadPrivateKey("", filepath.Join(dir, "jwt-ed25519.pem"))
	if err != nil || len(priv) == 0 {
		t.Fatalf("private key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "jwt-ed25519.pub.pem")); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"auth", "keys", dir}, env(nil), &stdout, &bytes.Buffer{}); !errors.Is(err, jwtauth.ErrKeyExists) {
		t.Errorf("second keys = %v, want ErrKeyExists (never overwrite)", err)
	}
}
