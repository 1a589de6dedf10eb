package cli

import (
	"bytes"
	"flag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/cli/internal/api"
	"example.com/gopher-template/cli/internal/apitest"
	"example.com/gopher-template/cli/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// result is what one in-process invocation produced.
type result struct {
	code   int
	stdout string
	stderr string
}

// harness runs the CLI in-process with an isolated config file and environment.
type harness struct {
	t     *testing.T
	env   map[string]string
	stdin string
	// http has a transport of its own: on http.DefaultTransport, a parallel
	// test's httptest.Server.Close (which closes that transport's idle
	// connections) could break this test's request as it starts ("http:
	// CloseIdleConnections called").
	http *http.Client
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	return &harness{t: t, http: &http.Client{Transport: transport}, env: map[string]string{
		config.EnvPrefix + "CONFIG": filepath.Join(t.TempDir(), config.AppName, "config.yaml"),
	}}
}

// fastRetry keeps retry tests quick; the real timings are tested in package api.
func fastRetry() *api.RetryPolicy {
	return &api.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxRetryAfter: 10 * time.Millisecond}
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(h.t.Context(), args, Deps{
		Version:    "test",
		Getenv:     func(k string) string { return h.env[k] },
		Stdin:      strings.NewReader(h.stdin),
		Stdout:     &stdout,
		Stderr:     &stderr,
		Now:        apitest.FixedNow,
		Retry:      fastRetry(),
		HTTPClient: h.http,
	})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustRun runs args and fails the test unless the exit code is want.
func (h *harness) mustRun(want int, args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != want {
		h.t.Fatalf("%s %s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", config.AppName, strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// newServer starts a fake API seeded with three links and points the harness at it.
func newServer(t *testing.T, h *harness, opts apitest.Options) *apitest.Server {
	t.Helper()
	s := apitest.New(t, opts)
	created := apitest.FixedNow()
	expires := created.Add(30 * 24 * time.Hour)
	s.Seed(
		apitest.Link{Code: "docs", URL: "https://example.com/docs?a=1&b=2", CreatedAt: created, Hits: 42},
		apitest.Link{Code: "blog", URL: "https://example.com/blog/2025/hello-world", CreatedAt: created.Add(time.Hour), ExpiresAt: &expires},
		apitest.Link{Code: "shop", URL: "https://shop.example.com/", CreatedAt: created.Add(2 * time.Hour), Hits: 7},
	)
	h.env[config.EnvPrefix+"ENDPOINT"] = s.URL
	return s
}

// closedPortURL returns a URL on which nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// golden compares got with testdata/name.golden, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update to accept):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
