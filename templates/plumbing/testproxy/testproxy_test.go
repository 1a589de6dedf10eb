package testproxy_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"example.com/gopher-template/plumbing/testproxy"
)

// The proxy forwards, cuts every connection and refuses new ones, then forwards again at the
// same address.
func TestProxyCutAndRestore(t *testing.T) {
	t.Parallel()
	echo := startEcho(t)
	proxy := testproxy.Start(t, echo)

	before, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", proxy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	if err := roundTrip(before); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	if n := proxy.Sends(); n < 1 {
		t.Errorf("Sends() = %d after a round trip, want at least 1", n)
	}

	proxy.Cut()
	if err := roundTrip(before); !refused(err) {
		t.Errorf("a connection from before the cut: %v, want it closed", err)
	}
	if err := dialAndRoundTrip(t, proxy); !refused(err) {
		t.Errorf("a connection made during the cut: %v, want it refused", err)
	}
	proxy.Cut() // a second cut does nothing

	proxy.Restore()
	if err := dialAndRoundTrip(t, proxy); err != nil {
		t.Errorf("after the restore: %v", err)
	}
}

// refused reports whether err is a connection's failure, not a success or a timeout (a hang).
func refused(err error) bool {
	var netErr net.Error
	return err != nil && (!errors.As(err, &netErr) || !netErr.Timeout())
}

// startEcho serves connections that send back every line they receive.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = io.Copy(conn, conn)
			}()
		}
	}()
	return ln.Addr().String()
}

// dialAndRoundTrip makes a new connection to the proxy and a round trip on it. During a cut,
// either fails: the proxy accepts the connection and resets it at once.
func dialAndRoundTrip(t *testing.T, p *testproxy.Proxy) error {
	t.Helper()
	conn, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", p.Addr())
	if err != nil {
		return err
	}
	defer conn.Close()
	return roundTrip(conn)
}

// roundTrip sends a line on conn and reads it back.
func roundTrip(conn net.Conn) error {
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("ping\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return io.ErrUnexpectedEOF
	}
	return nil
}
