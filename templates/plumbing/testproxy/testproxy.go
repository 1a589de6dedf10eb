// Package testproxy is a TCP proxy for integration tests: it stands between the code under test
// and a real service (PostgreSQL, Redis, NATS) and can cut the connection and restore it, so a
// test proves what happens when a service goes away under load, without touching the shared
// service that every other test still reaches directly.
package testproxy

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards TCP connections to a server until Cut, and again after Restore, so that a test
// can take a shared service (PostgreSQL, NATS) away from the code under test alone, and give it
// back, while the test itself, and every other test, still reaches the server directly.
//
// While cut, the proxy keeps its port: it accepts each new connection and resets it at once, as a
// server that is down refuses it. Closing the listener instead would let another process take the
// port before Restore.
type Proxy struct {
	listener net.Listener
	target   string

	// ops runs Cut, Restore and the final close one at a time: Cut waits for the forwarding
	// goroutines, which Restore lets start again.
	ops sync.Mutex

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	// dials is the context of the dials to the target, cancelled by Cut.
	dials     context.Context
	stopDials context.CancelFunc

	acceptor   sync.WaitGroup
	forwarders sync.WaitGroup

	// sends counts the reads from clients forwarded to the target.
	sends atomic.Int64
}

// ForURL starts a Proxy to the host and port of rawURL, such as a postgres://, redis:// or
// nats:// URL, and returns rawURL pointing at the proxy instead. The proxy is closed when the
// test ends.
func ForURL(tb testing.TB, rawURL string) (string, *Proxy) {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		tb.Fatalf("proxy: %q is not a URL with a host: %v", rawURL, err)
	}
	p := Start(tb, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}

// Start listens on a free loopback port and forwards every connection to target (host:port).
// The proxy is closed when the test ends.
func Start(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := (&net.ListenConfig{}).Listen(tb.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxy: listen: %v", err)
	}
	p := &Proxy{listener: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.dials, p.stopDials = context.WithCancel(context.Background())
	p.acceptor.Go(p.accept)
	tb.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.listener.Addr().String() }

// Sends returns how many times so far the proxy passed on what a client had sent: at least once
// per request whose answer a client awaits before sending more, so it counts round trips.
func (p *Proxy) Sends() int64 { return p.sends.Load() }

// Cut closes every open connection, as a server that went away would, and refuses new ones
// until Restore. It returns once nothing passes through the proxy any more. Cutting a cut proxy
// does nothing.
func (p *Proxy) Cut() {
	p.ops.Lock()
	defer p.ops.Unlock()
	p.mu.Lock()
	p.cut = true
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.stopDials()
	p.mu.Unlock()

	for conn := range conns {
		_ = conn.Close()
	}
	// No forwarder starts while the proxy is cut, so the wait cannot race a new one.
	p.forwarders.Wait()
}

// Restore forwards new connections again, to the same address as before the cut. Restoring a
// proxy that is not cut does nothing.
func (p *Proxy) Restore() {
	p.ops.Lock()
	defer p.ops.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		p.cut = false
		p.dials, p.stopDials = context.WithCancel(context.Background())
	}
}

// close cuts the proxy for good: it closes the listener and every connection, and waits for the
// proxy's goroutines.
func (p *Proxy) close() {
	_ = p.listener.Close()
	p.acceptor.Wait()
	p.Cut()
}

func (p *Proxy) accept() {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return // close closed the listener
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			reset(client)
			continue
		}
		p.conns[client] = struct{}{}
		dials := p.dials
		// Under the lock, so that Cut, which sets cut under it too, waits for this forwarder.
		p.forwarders.Add(1)
		p.mu.Unlock()
		go p.forward(dials, client)
	}
}

// forward dials the target for client and copies bytes both ways until either side closes or
// the proxy is cut.
func (p *Proxy) forward(dials context.Context, client net.Conn) {
	defer p.forwarders.Done()
	defer p.untrack(client)
	var dialer net.Dialer
	server, err := dialer.DialContext(dials, "tcp", p.target)
	if err != nil {
		reset(client)
		return
	}
	if !p.track(server) {
		_ = client.Close()
		return
	}
	defer p.untrack(server)
	var pipes sync.WaitGroup
	pipes.Go(func() { pipe(server, countingReader{client, &p.sends}) })
	pipe(client, server)
	pipes.Wait()
}

// countingReader counts the reads that return data.
type countingReader struct {
	net.Conn
	reads *atomic.Int64
}

func (r countingReader) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	if n > 0 {
		r.reads.Add(1)
	}
	return n, err // unwrapped: io.Copy looks for io.EOF
}

// pipe copies src to dst, then closes both, which ends the other direction.
func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src) // a closed connection ends the copy: that is the point
	_ = dst.Close()
	_ = src.Close()
}

// reset closes conn with a TCP reset rather than an orderly close, as a refused connection
// fails.
func reset(conn net.Conn) {
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// track records conn so that Cut can close it; when the proxy is cut already it closes conn and
// returns false.
func (p *Proxy) track(conn net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		_ = conn.Close()
		return false
	}
	p.conns[conn] = struct{}{}
	return true
}

func (p *Proxy) untrack(conn net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, conn)
}
