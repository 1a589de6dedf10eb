package testserve_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"example.com/gopher-template/plumbing/testserve"
)

// FreeAddr's address is on loopback, and a server can listen on it.
func TestFreeAddr(t *testing.T) {
	t.Parallel()
	addr := testserve.FreeAddr(t)
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("FreeAddr() = %q (%v), want a 127.0.0.1 address", addr, err)
	}
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatalf("listen on FreeAddr()'s %s: %v", addr, err)
	}
	_ = ln.Close()
}

func TestWaitHealthy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// unhealthyFor is how many /healthz calls answer 503 before the 200s; -1 for every one.
		unhealthyFor int64
		// exitAfter is how many calls the server answers before it reports its exit; 0 never.
		exitAfter   int64
		exitedFirst bool // the server has exited before the first call
		wantFailure string
	}{
		{name: "healthy at once"},
		{name: "healthy after 503s", unhealthyFor: 3},
		{name: "exits while unhealthy", unhealthyFor: -1, exitAfter: 2, wantFailure: "exited before it was healthy: boom"},
		{name: "exited before the first call", exitedFirst: true, wantFailure: "exited before it was healthy: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exited := make(chan error, 1)
			if tt.exitedFirst {
				exited <- errors.New("boom")
			}
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if r.URL.Path != "/healthz" {
					t.Errorf("WaitHealthy called %s, want /healthz", r.URL.Path)
				}
				if tt.exitAfter > 0 && n == tt.exitAfter {
					exited <- errors.New("boom")
				}
				if tt.unhealthyFor < 0 || n <= tt.unhealthyFor {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}))
			defer srv.Close()

			got := failure(t, func(tb testing.TB) {
				testserve.WaitHealthy(tb, strings.TrimPrefix(srv.URL, "http://"), exited)
			})
			if tt.wantFailure == "" && got != "" {
				t.Errorf("WaitHealthy failed the test: %s", got)
			}
			if tt.wantFailure != "" && !strings.Contains(got, tt.wantFailure) {
				t.Errorf("WaitHealthy's failure = %q, want it to contain %q", got, tt.wantFailure)
			}
			if !tt.exitedFirst && tt.wantFailure == "" && calls.Load() != tt.unhealthyFor+1 {
				t.Errorf("/healthz called %d times, want %d", calls.Load(), tt.unhealthyFor+1)
			}
		})
	}
}

// Buffer keeps every concurrent writer's lines whole, and Reset empties it.
func TestBuffer(t *testing.T) {
	t.Parallel()
	var buf testserve.Buffer
	const writers, lines = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				_, _ = fmt.Fprintf(&buf, "writer %d line %d\n", w, i)
			}
		})
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	for _, line := range got {
		var w, i int
		if _, err := fmt.Sscanf(line, "writer %d line %d", &w, &i); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
	}
	buf.Reset()
	_, _ = buf.Write([]byte("after\n"))
	if got := buf.String(); got != "after\n" {
		t.Errorf("after Reset and a write: %q, want %q", got, "after\n")
	}
}

// fatalRecorder is a testing.TB whose Fatal and Fatalf record the message and end the goroutine,
// as the real ones do, without failing the test.
type fatalRecorder struct {
	testing.TB
	failure string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatal(args ...any) {
	r.failure = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// failure runs f with a fatalRecorder in a goroutine of its own and returns the message f failed
// with, "" if it returned.
func failure(t *testing.T, f func(tb testing.TB)) string {
	t.Helper()
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failure
}
