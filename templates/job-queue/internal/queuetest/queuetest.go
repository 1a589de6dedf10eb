// Package queuetest gives integration tests an isolated set of JetStream resources on the server
// named by NATS_URL: a random prefix per test, everything deleted (and checked gone) at cleanup.
package queuetest

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"example.com/gopher-template/job-queue/internal/queue"
)

// EnvURL names the environment variable that enables integration tests.
const EnvURL = "NATS_URL"

// URL returns the NATS server URL from the environment, or skips the test.
func URL(t testing.TB, getenv func(string) string) string {
	t.Helper()
	url := getenv(EnvURL)
	if url == "" {
		t.Skipf("%s is not set; set it (e.g. %s=nats://127.0.0.1:4222) to run tests against a NATS server with JetStream", EnvURL, EnvURL)
	}
	return url
}

// Prefix returns a random stream prefix for one test.
func Prefix() string {
	return "TEST_" + strings.ToUpper(rand.Text()[:12])
}

// Env is an isolated queue: connection, JetStream handle and resource configuration.
type Env struct {
	URL    string
	Conn   *nats.Conn
	JS     jetstream.JetStream
	Config queue.Config
}

// New connects to the server in NATS_URL (skipping the test when unset), creates the streams and
// bucket under a fresh prefix, and registers their deletion with t.Cleanup.
func New(t testing.TB, getenv func(string) string) *Env {
	t.Helper()
	env := Bare(t, getenv)
	if err := queue.EnsureStreams(t.Context(), env.JS, env.Config); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	return env
}

// Bare is New without creating anything: for tests of code that creates the resources itself.
// Whatever ends up existing under the prefix is still deleted at cleanup.
func Bare(t testing.TB, getenv func(string) string) *Env {
	t.Helper()
	url := URL(t, getenv)
	names, err := queue.NamesFor(Prefix())
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	env := &Env{
		URL:  url,
		Conn: nc,
		JS:   js,
		Config: queue.Config{
			Names:            names,
			DuplicateWindow:  time.Minute,
			RecordTTL:        time.Hour,
			DeadLetterMaxAge: time.Hour,
		},
	}
	t.Cleanup(func() {
		defer nc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := Delete(ctx, js, names); err != nil {
			t.Errorf("delete test resources: %v", err)
		}
		if left := Leftovers(ctx, js, names.Prefix); len(left) > 0 {
			t.Errorf("streams left behind: %v", left)
		}
	})
	return env
}

// Delete removes the streams (with their consumers) and the bucket named by n. Missing resources
// are not an error.
func Delete(ctx context.Context, js jetstream.JetStream, n queue.Names) error {
	var errs []error
	for _, s := range []string{n.Stream, n.DeadStream} {
		if err := js.DeleteStream(ctx, s); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			errs = append(errs, err)
		}
	}
	if err := js.DeleteKeyValue(ctx, n.Bucket); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Leftovers lists the streams whose name contains prefix.
func Leftovers(ctx context.Context, js jetstream.JetStream, prefix string) []string {
	var left []string
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		if strings.Contains(name, prefix) {
			left = append(left, name)
		}
	}
	if err := names.Err(); err != nil {
		left = append(left, "listing failed: "+err.Error())
	}
	return left
}
