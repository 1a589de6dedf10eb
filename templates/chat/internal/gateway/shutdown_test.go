package gateway_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"example.com/gopher-template/chat/internal/chat"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
)

// writeGate holds the server's writes on demand: once armed, the next write on any accepted
// connection blocks (closing held) until release is closed or the connection is closed.
type writeGate struct {
	armed   atomic.Bool
	held    chan struct{}
	release chan struct{}
}

func newWriteGate() *writeGate {
	return &writeGate{held: make(chan struct{}), release: make(chan struct{})}
}

func (g *writeGate) listen(ln net.Listener) net.Listener { return gatedListener{ln, g} }

type gatedListener struct {
	net.Listener
	g *writeGate
}

func (l gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, g: l.g, closed: make(chan struct{})}, nil
}

type gatedConn struct {
	net.Conn
	g         *writeGate
	closeOnce sync.Once
	closed    chan struct{}
}

func (c *gatedConn) Write(p []byte) (int, error) {
	if c.g.armed.CompareAndSwap(true, false) {
		close(c.g.held)
		select {
		case <-c.g.release:
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
	return c.Conn.Write(p)
}

func (c *gatedConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// readAll reads the client's frames until an error, which it returns with the frames.
func readAll(ctx context.Context, c *websocket.Conn) (frames []string, err error) {
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return frames, err
		}
		frames = append(frames, string(data))
	}
}

// shutdownThen starts the gateway's shutdown and calls then once it has returned or after
// grace, whichever comes first: a step of the client that must come after the connection's
// shutdown began (were it closed abruptly, Shutdown returns at once) but that a graceful close
// may need to complete. It returns Shutdown's result.
func shutdownThen(t *testing.T, s stack, grace time.Duration, then func()) <-chan error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- s.gw.Shutdown(ctx) }()
	result := make(chan error, 1)
	go func() {
		select {
		case err := <-done:
			then()
			result <- err
		case <-time.After(grace):
			then()
			result <- <-done
		}
	}()
	return result
}

// A frame being written when the gateway shuts down is finished, then the socket is closed with
// 1001: shutdown does not cut the write short, which would leave the client with a bare EOF.
func TestShutdownFinishesTheWriteInFlight(t *testing.T) {
	t.Parallel()
	ws := defaultWS()
	ws.PingInterval = time.Hour
	gate := newWriteGate()
	s := newStackListening(t, ws, func(c chatv1.ChatServiceClient) chatv1.ChatServiceClient { return c }, gate.listen)
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	c, _, err := dial(t, s, room, ada, nil)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		frames []string
		err    error
	}
	received := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		frames, err := readAll(ctx, c)
		received <- result{frames, err}
	}()

	gate.armed.Store(true)
	if err := s.feed.Publish(t.Context(), chat.Message{ID: 1, RoomID: room, UserID: "u", Username: "ada", Body: "in flight", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gate.held:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not write the message")
	}
	// One more waits in the queue: the close comes first, it is not sent.
	if err := s.feed.Publish(t.Context(), chat.Message{ID: 2, RoomID: room, UserID: "u", Username: "ada", Body: "queued", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	shutdown := shutdownThen(t, s, 300*time.Millisecond, func() { close(gate.release) })

	r := <-received
	if websocket.CloseStatus(r.err) != websocket.StatusGoingAway {
		t.Errorf("client saw %v, want close 1001", r.err)
	}
	if len(r.frames) != 1 {
		t.Errorf("client received %q, want the message being written only", r.frames)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

// A ping waiting for its pong when the gateway shuts down does not turn into a drop: the socket
// is closed with 1001 once the peer answers.
func TestShutdownWhileAPingAwaitsItsPong(t *testing.T) {
	t.Parallel()
	ws := defaultWS()
	ws.PingInterval = 2 * time.Second // the pong is late, but well within this
	s := newStack(t, ws)
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	pinged, answer := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c, _, err := dial(t, s, room, ada, &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool {
		once.Do(func() { close(pinged) })
		<-answer // the pong waits
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err := readAll(ctx, c)
		readErr <- err
	}()
	select {
	case <-pinged:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not ping")
	}
	shutdown := shutdownThen(t, s, 300*time.Millisecond, func() { close(answer) })

	if err := <-readErr; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("client saw %v, want close 1001", err)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if n := s.rec.drops("ping_timeout"); n != 0 {
		t.Errorf("ping timeouts = %d, want 0", n)
	}
}

// A peer that takes no more data is still dropped at shutdown, once the write times out, and
// Shutdown returns.
func TestShutdownDropsAStuckPeer(t *testing.T) {
	t.Parallel()
	ws := defaultWS()
	ws.PingInterval = time.Hour
	ws.WriteTimeout = 200 * time.Millisecond
	gate := newWriteGate() // never released
	s := newStackListening(t, ws, func(c chatv1.ChatServiceClient) chatv1.ChatServiceClient { return c }, gate.listen)
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	c, _, err := dial(t, s, room, ada, nil)
	if err != nil {
		t.Fatal(err)
	}
	gate.armed.Store(true)
	if err := s.feed.Publish(t.Context(), chat.Message{ID: 1, RoomID: room, UserID: "u", Username: "ada", Body: "stuck", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	<-gate.held
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.gw.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v, want the stuck peer dropped", err)
	}
	if n := s.rec.drops("write_timeout"); n != 1 {
		t.Errorf("write_timeout drops = %d, want 1", n)
	}
	readCtx, readCancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer readCancel()
	if _, err := readAll(readCtx, c); websocket.CloseStatus(err) != -1 {
		t.Errorf("client saw %v, want the connection dropped", err)
	}
}

// A peer that stops answering pings is dropped.
func TestUnansweredPingDropsTheSocket(t *testing.T) {
	t.Parallel()
	ws := defaultWS()
	ws.PingInterval = 100 * time.Millisecond
	s := newStack(t, ws)
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	if _, _, err := dial(t, s, room, ada, nil); err != nil { // never reads, so never answers
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.rec.drops("ping_timeout") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the silent peer was not dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := s.gw.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}
