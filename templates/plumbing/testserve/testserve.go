// Package testserve has helpers for tests that run a server on a real port: a free loopback
// address, waiting for /healthz, a log buffer safe for concurrent writers.
package testserve

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// healthyWithin bounds WaitHealthy.
const healthyWithin = 20 * time.Second

// FreeAddr returns a loopback address with a port free a moment ago, for a server a test starts
// through its configuration (which takes an address, not a listener).
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := (&net.ListenConfig{}).Listen(tb.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr
}

// WaitHealthy polls http://addr/healthz until it answers 200, or fails the test after 20 s or
// when exited delivers (the server stopped first).
func WaitHealthy(tb testing.TB, addr string, exited <-chan error) {
	tb.Helper()
	deadline := time.Now().Add(healthyWithin)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			tb.Fatalf("the server exited before it was healthy: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(tb.Context(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", http.NoBody)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("%s/healthz did not answer 200 within %s", addr, healthyWithin)
}

// Buffer is a bytes.Buffer that a server's goroutines write and a test reads: the logs of a run
// under test. The zero value is empty and ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what has been written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Reset empties the buffer, so that a test reads only what a step of it logs.
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}
