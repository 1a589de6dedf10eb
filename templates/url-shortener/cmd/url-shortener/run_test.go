package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/gopher-template/url-shortener/internal/config"
)

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestRunCommands(t *testing.T) {
	t.Parallel()
	const bin = config.AppName
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantErr    string
		wantStdout string
	}{
		{name: "version", args: []string{bin, "version"}, wantStdout: version + "\n"},
		{name: "help", args: []string{bin, "help"}, wantStdout: "usage: " + config.AppName + " [command]"},
		{name: "migrate bad direction", args: []string{bin, "migrate", "sideways"}, env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/none"}, wantErr: `unknown direction "sideways"`},
		{name: "migrate extra arguments", args: []string{bin, "migrate", "up", "now"}, env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/none"}, wantErr: "unexpected arguments"},
		{name: "unknown command", args: []string{bin, "frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{name: "serve without config", args: []string{bin}, wantErr: "DATABASE_URL"},
		{name: "migrate without config", args: []string{bin, "migrate", "up"}, wantErr: "DATABASE_URL"},
		{name: "createdb without config", args: []string{bin, "createdb"}, wantErr: "DATABASE_URL"},
		{name: "createdb server down", args: []string{bin, "createdb"}, env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/none"}, wantErr: "connect to postgres to create none"},
		{name: "healthcheck bad addr", args: []string{bin, "healthcheck"}, env: map[string]string{"HTTP_ADDR": "nope"}, wantErr: "HTTP_ADDR"},
		{name: "healthcheck nothing listening", args: []string{bin, "healthcheck"}, env: map[string]string{"HTTP_ADDR": "127.0.0.1:1"}, wantErr: "healthcheck"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, getenvFrom(tt.env), &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run() error = %v", err)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.wantStdout)
			}
		})
	}
}

func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		wantErr bool
	}{
		{name: "healthy", status: http.StatusOK},
		{name: "unhealthy", status: http.StatusServiceUnavailable, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/healthz" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")

			err := run(t.Context(), []string{config.AppName, "healthcheck"}, getenvFrom(map[string]string{"HTTP_ADDR": addr}), io.Discard, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("healthcheck error = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}
