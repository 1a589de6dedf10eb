package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"example.com/gopher-template/cli/internal/apitest"
	"example.com/gopher-template/cli/internal/config"
)

func TestConfigSetGetList(t *testing.T) {
	t.Parallel()
	const token = "tok-0123456789abcdef"
	h := newHarness(t)
	path := h.env[config.EnvPrefix+"CONFIG"]

	h.mustRun(0, "config", "set", "endpoint", "https://sho.rt")
	h.mustRun(0, "config", "set", "timeout", "30s")
	h.stdin = token + "\n"
	h.mustRun(0, "config", "set", "token", "-")
	h.stdin = ""
	h.mustRun(0, "--profile", "ci", "config", "set", "output", "json")

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "profiles:\n  ci:\n    output: json\n  default:\n    endpoint: https://sho.rt\n    token: " + token + "\n    timeout: 30s\n"
	if string(data) != want {
		t.Errorf("config file:\n%s\nwant:\n%s", data, want)
	}
	if runtime.GOOS != "windows" {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %v, %v; want 0600", fi.Mode(), err)
		}
		if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("dir mode %v, %v; want 0700", fi.Mode(), err)
		}
	}

	if r := h.mustRun(0, "config", "get", "endpoint"); r.stdout != "https://sho.rt\n" {
		t.Errorf("config get endpoint = %q", r.stdout)
	}
	if r := h.mustRun(0, "config", "get", "token"); r.stdout != "********cdef\n" {
		t.Errorf("config get token = %q, want it masked", r.stdout)
	}
	if r := h.mustRun(0, "config", "get", "output", "--profile", "ci"); r.stdout != "json\n" {
		t.Errorf("config get output --profile ci = %q", r.stdout)
	}

	r := h.mustRun(0, "config", "list")
	golden(t, "config_list_table", r.stdout)
	r2 := h.mustRun(0, "config", "list", "-o", "json")
	golden(t, "config_list_json", r2.stdout)
	for _, out := range []string{r.stdout, r.stderr, r2.stdout} {
		if strings.Contains(out, token) {
			t.Errorf("config list shows the token:\n%s", out)
		}
	}

	// An empty value removes a key.
	h.mustRun(0, "config", "set", "timeout", "")
	if r := h.mustRun(0, "config", "get", "timeout"); r.stdout != "10s\n" {
		t.Errorf("timeout after unset = %q, want the default", r.stdout)
	}
	h.mustRun(2, "config", "set", "timeout", "soon")
	h.mustRun(2, "config", "set", "colour", "blue")
	h.mustRun(2, "--profile", "bad name", "config", "set", "output", "json")
}

func TestConfigBrokenFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	path := h.env[config.EnvPrefix+"CONFIG"]
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("profiles:\n  default:\n    endpont: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.mustRun(1, "config", "list")
	if !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, "endpont") {
		t.Errorf("stderr = %q, want the path and the bad key", r.stderr)
	}
}

// TestPrecedence checks flag > env > profile > default through real invocations.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	const file = `profiles:
  default:
    endpoint: https://profile.test
  bare: {}
  other:
    endpoint: https://other.test
`
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		wantValue  string
		wantSource string
	}{
		{"default", nil, []string{"--profile", "bare"}, config.DefaultEndpoint, "default"},
		{"profile", nil, nil, "https://profile.test", "profile"},
		{"env over profile", map[string]string{config.EnvPrefix + "ENDPOINT": "https://env.test"}, nil, "https://env.test", "env"},
		{"flag over env", map[string]string{config.EnvPrefix + "ENDPOINT": "https://env.test"}, []string{"--endpoint", "https://flag.test"}, "https://flag.test", "flag"},
		{"flag over profile", nil, []string{"--endpoint", "https://flag.test"}, "https://flag.test", "flag"},
		{"env over default", map[string]string{config.EnvPrefix + "ENDPOINT": "https://env.test"}, []string{"--profile", "bare"}, "https://env.test", "env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			writeConfig(t, h, file)
			for k, v := range tt.env {
				h.env[k] = v
			}
			r := h.mustRun(0, append([]string{"config", "get", "endpoint"}, tt.args...)...)
			if got := strings.TrimSpace(r.stdout); got != tt.wantValue {
				t.Errorf("config get endpoint = %q, want %q", got, tt.wantValue)
			}
			r = h.mustRun(0, append([]string{"config", "list", "-o", "json"}, tt.args...)...)
			var list map[string]struct{ Value, Source string }
			if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
				t.Fatal(err)
			}
			if got := list["endpoint"]; got.Value != tt.wantValue || got.Source != tt.wantSource {
				t.Errorf("config list endpoint = %+v, want %q from %s", got, tt.wantValue, tt.wantSource)
			}
		})
	}

	t.Run("profile selection", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		writeConfig(t, h, file)
		h.env[config.EnvPrefix+"PROFILE"] = "other"
		if r := h.mustRun(0, "config", "get", "endpoint"); r.stdout != "https://other.test\n" {
			t.Errorf("env profile: endpoint = %q", r.stdout)
		}
		if r := h.mustRun(0, "config", "get", "endpoint", "--profile", "default"); r.stdout != "https://profile.test\n" {
			t.Errorf("flag profile: endpoint = %q", r.stdout)
		}
	})

	t.Run("endpoint used for requests", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		s := newServer(t, h, apitest.Options{})
		writeConfig(t, h, "profiles:\n  default:\n    endpoint: "+closedPortURL(t)+"\n")
		delete(h.env, config.EnvPrefix+"ENDPOINT")
		h.mustRun(4, "links", "get", "docs")                      // profile: closed port
		h.mustRun(0, "links", "get", "docs", "--endpoint", s.URL) // flag wins
		h.env[config.EnvPrefix+"ENDPOINT"] = s.URL
		h.mustRun(0, "links", "get", "docs") // env wins over profile
	})
}

func writeConfig(t *testing.T, h *harness, content string) {
	t.Helper()
	path := h.env[config.EnvPrefix+"CONFIG"]
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
