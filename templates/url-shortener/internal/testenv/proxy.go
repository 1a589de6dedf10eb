package testenv

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards TCP connections to a server until Cut, so that a test can
// take a dependency away from the code under test alone, while the test
// itself still reaches the server directly.
type Proxy struct {
	listener net.Listener
	target   string
	// stop cancels the dials in progress when the proxy is cut.
	stop context.CancelFunc

	// sends counts the reads from clients forwarded to the target.
	sends atomic.Int64

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	cut   bool

	wg sync.WaitGroup
}

// ProxyURL starts a Proxy to the host and port of rawURL, such as a
// postgres:// or redis:// URL, and returns rawURL pointing at the proxy
// instead. The proxy is cut when the test ends.
func ProxyURL(tb testing.TB, rawURL string) (string, *Proxy) {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		tb.Fatalf("proxy: %q is not a URL with a host: %v", rawURL, err)
	}
	p := StartProxy(tb, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}

// StartProxy listens on a free loopback port and forwards every connection
// to target (host:port). The proxy is cut when the test ends.
func StartProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := (&net.ListenConfig{}).Listen(tb.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxy: listen: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &Proxy{listener: ln, target: target, stop: stop, conns: make(map[net.Conn]struct{})}
	p.wg.Go(func() { p.accept(ctx) })
	tb.Cleanup(p.Cut)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.listener.Addr().String() }

// Sends returns how many times so far the proxy passed on what a client had
// sent: at least once per request whose answer a client awaits before
// sending more, so it counts round trips.
func (p *Proxy) Sends() int64 { return p.sends.Load() }

// Cut closes the listener, so that new connections are refused, and every
// open connection, as a server that went away would. It waits for the
// proxy's goroutines and may be called more than once.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.mu.Unlock()

	p.stop()
	_ = p.listener.Close() // closed already on a second Cut
	for conn := range conns {
		_ = conn.Close()
	}
	p.wg.Wait()
}

func (p *Proxy) accept(ctx context.Context) {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return // Cut closed the listener
		}
		if !p.track(client) {
			continue
		}
		p.wg.Go(func() { p.forward(ctx, client) })
	}
}

// forward dials the target for client and copies bytes both ways until
// either side closes or the proxy is cut.
func (p *Proxy) forward(ctx context.Context, client net.Conn) {
	defer p.untrack(client)
	var dialer net.Dialer
	server, err := dialer.DialContext(ctx, "tcp", p.target)
	if err != nil {
		_ = client.Close()
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

// track records conn so that Cut can close it; after Cut it closes conn
// and returns false.
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
