package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestRunCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		wantOut string
	}{
		{name: "help", args: []string{"api", "help"}, wantOut: "promote"},
		{name: "version", args: []string{"api", "version"}, wantOut: "dev"},
		{name: "unknown command", args: []string{"api", "frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{name: "serve without a database", args: []string{"api"}, wantErr: "DATABASE_URL"},
		{name: "serve with a short JWT secret", args: []string{"api"}, env: map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1:1/x", "JWT_SECRET": "short"}, wantErr: "JWT_SECRET"},
		{name: "migrate without a database", args: []string{"api", "migrate"}, wantErr: "DATABASE_URL is required"},
		{name: "migrate sideways", args: []string{"api", "migrate", "up", "down"}, wantErr: "unexpected arguments"},
		{name: "promote without an email", args: []string{"api", "promote"}, wantErr: "usage: api promote EMAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(t.Context(), tt.args, func(k string) string { return tt.env[k] }, &out, io.Discard)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run = %v, want an error containing %q", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q lacks %q", out.String(), tt.wantOut)
			}
		})
	}
}
