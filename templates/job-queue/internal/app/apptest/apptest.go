// Package apptest runs a binary's run function end to end for integration tests: on free ports,
// under a fresh stream prefix on the NATS server in NATS_URL (skipping the test when unset), until
// /healthz answers. At cleanup it stops run as SIGTERM would and fails the test unless run returns
// nil, then deletes the prefix's streams.
package apptest

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/job-queue/internal/queuetest"
)

// RunFunc is the signature of a binary's run.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Timeouts of start-up (until /healthz answers) and of the graceful stop.
const (
	startTimeout = 15 * time.Second
	stopTimeout  = 10 * time.Second
)

// Process is a run started by Start.
type Process struct {
	// Queue is the isolated stream prefix run works under, with a connection of the test's own.
	Queue *queuetest.Env
	// URL and AdminURL are the base URLs of HTTP_ADDR and ADMIN_ADDR.
	URL, AdminURL string

	logs     testserve.Buffer
	done     chan error
	cancel   context.CancelFunc
	stopOnce sync.Once
	stopErr  error
}

// Start runs run as the binary name with NATS_URL, STREAM_PREFIX, HTTP_ADDR and ADMIN_ADDR set,
// plus vars, and waits until /healthz answers.
func Start(t *testing.T, getenv func(string) string, name string, run RunFunc, vars map[string]string) *Process {
	t.Helper()
	q := queuetest.Bare(t, getenv) // run creates the resources; cleanup deletes them
	p := &Process{Queue: q, done: make(chan error, 1)}
	env := map[string]string{
		"NATS_URL":      q.URL,
		"STREAM_PREFIX": q.Config.Names.Prefix,
		"HTTP_ADDR":     testserve.FreeAddr(t),
		"ADMIN_ADDR":    testserve.FreeAddr(t),
	}
	maps.Copy(env, vars)
	p.URL, p.AdminURL = "http://"+env["HTTP_ADDR"], "http://"+env["ADMIN_ADDR"]

	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	p.cancel = cancel
	go func() {
		p.done <- run(ctx, []string{name}, func(k string) string { return env[k] }, io.Discard, &p.logs)
	}()
	// Registered after queuetest's cleanup, so it runs first: stop run, then delete its streams.
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("%s: %v\n%s", name, err, p.Logs())
		}
	})
	p.waitHealthy(t)
	return p
}

func (p *Process) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err // for Stop
			t.Fatalf("run returned during start-up: %v\n%s", err, p.Logs())
		default:
		}
		if code, _ := p.Call(t, http.MethodGet, "/healthz", ""); code == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/healthz never answered\n%s", p.URL, p.Logs())
}

// Call sends a request to path on HTTP_ADDR (or to a full URL), a body as application/json, and returns the status code (0 if
// the request failed) and the body.
func (p *Process) Call(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	url := path
	if strings.HasPrefix(path, "/") {
		url = p.URL + path
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// Stop cancels run's context, as SIGTERM would, and returns run's error; it fails if run takes
// longer than stopTimeout. Calling it again returns the same result.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		p.cancel()
		select {
		case p.stopErr = <-p.done:
		case <-time.After(stopTimeout):
			p.stopErr = fmt.Errorf("run did not return within %s of its cancellation", stopTimeout)
		}
	})
	return p.stopErr
}

// Logs returns what run has written to stderr so far.
func (p *Process) Logs() string { return p.logs.String() }
