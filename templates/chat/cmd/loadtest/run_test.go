package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestNewPlan(t *testing.T) {
	tests := []struct {
		name              string
		clients           int
		rate, senderRate  float64
		duration          time.Duration
		senders, messages int
		wantErr           string
	}{
		{"one sender is enough", 10, 3, 4, 10 * time.Second, 1, 30, ""},
		{"rate spread over senders", 100, 200, 4, 10 * time.Second, 50, 2000, ""},
		{"a fraction rounds up", 100, 201, 4, time.Second, 51, 201, ""},
		{"every client sends", 50, 200, 4, time.Second, 50, 200, ""},
		{"more senders than clients", 49, 200, 4, time.Second, 0, 0, "needs 50 senders, but there are 49 clients"},
		{"no message at all", 10, 0.5, 4, time.Second, 0, 0, "sends no message"},
		{"zero rate", 10, 0, 4, time.Second, 0, 0, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPlan(tt.clients, tt.rate, tt.senderRate, tt.duration)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.senders != tt.senders || p.messages != tt.messages {
				t.Fatalf("senders, messages = %d, %d; want %d, %d", p.senders, p.messages, tt.senders, tt.messages)
			}
		})
	}
}

func TestDueSpacesMessagesEvenlyAndSendersTakeTurns(t *testing.T) {
	p, err := newPlan(100, 200, 4, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, 0},
		{1, 5 * time.Millisecond},
		{50, 250 * time.Millisecond},
		{199, 995 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := p.due(tt.n); got != tt.want {
			t.Errorf("due(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
	// Sender i sends i, i+S, ...: at S × 5 ms intervals, within its limit of 4 msgs/s.
	if gap := p.due(p.senders) - p.due(0); gap < 250*time.Millisecond {
		t.Errorf("one sender's messages %s apart: faster than 4 msgs/s", gap)
	}
}

func TestBodyRoundTrip(t *testing.T) {
	tests := []struct {
		n  int
		at time.Duration
	}{
		{0, 0},
		{1, time.Nanosecond},
		{199_999, 3*time.Hour + 17*time.Microsecond},
	}
	for _, tt := range tests {
		n, at, ok := decodeBody(encodeBody(tt.n, tt.at))
		if !ok || n != tt.n || at != tt.at {
			t.Errorf("decodeBody(encodeBody(%d, %s)) = %d, %s, %t", tt.n, tt.at, n, at, ok)
		}
	}
}

func TestDecodeBodyRefusesOtherBodies(t *testing.T) {
	for _, body := range []string{"", "hello", "loadtest ", "loadtest 12", "loadtest x 5", "loadtest 1 y", "loadtest -1 5", "loadtest 1 -5", "loadtest 1 2 3", "Loadtest 1 2"} {
		if n, at, ok := decodeBody(body); ok {
			t.Errorf("decodeBody(%q) = %d, %s, true; want false", body, n, at)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"median of even: nearest rank, the lower", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"a tiny p is the min", ms(1, 2, 3), 0.001, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Fatalf("percentile(%v, %g) = %s, want %s", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestRoomSocket(t *testing.T) {
	tests := []struct {
		base, want, wantErr string
	}{
		{"http://127.0.0.1:8080", "ws://127.0.0.1:8080/v1/rooms/r1/ws", ""},
		{"https://chat.example.com/", "wss://chat.example.com/v1/rooms/r1/ws", ""},
		{"http://gw:8080/api/?x=1", "ws://gw:8080/api/v1/rooms/r1/ws", ""},
		{"ws://127.0.0.1:8080", "", "want http:// or https://"},
		{"localhost:8080", "", "want http:// or https://"},
		{"127.0.0.1:8080", "", "gateway URL"},
		{"http://", "", "no host"},
	}
	for _, tt := range tests {
		got, err := roomSocket(tt.base, "r1")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("roomSocket(%q) = %q, %v; want an error containing %q", tt.base, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("roomSocket(%q) = %q, %v; want %q", tt.base, got, err, tt.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		check   func(t *testing.T, o options)
		wantErr string
	}{
		{"defaults", nil, env(), func(t *testing.T, o options) {
			if !slices.Equal(o.gateways, []string{"http://127.0.0.1:8080"}) || o.sockets != nil || o.clients != 100 || o.rate != 100 ||
				o.senderRate != 4 || o.duration != 10*time.Second || o.drain != 5*time.Second || o.jsonOut {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"gateway and rate limit from the environment", nil, env("GATEWAY_ADDR", "10.0.0.1:80", "WS_MESSAGE_RATE", "10"), func(t *testing.T, o options) {
			if !slices.Equal(o.gateways, []string{"http://10.0.0.1:80"}) || o.senderRate != 8 {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"two gateways", []string{"-gateways", "http://a:1, http://b:2,", "-clients", "10", "-rate", "20", "-json"}, env(), func(t *testing.T, o options) {
			if !slices.Equal(o.gateways, []string{"http://a:1", "http://b:2"}) || o.clients != 10 || o.rate != 20 || !o.jsonOut {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"sockets as they are", []string{"-ws", "ws://a:1/v1/rooms/x/ws,wss://b/ws"}, env(), func(t *testing.T, o options) {
			if o.gateways != nil || len(o.sockets) != 2 {
				t.Errorf("%+v", o)
			}
		}, ""},
		{"a socket URL that is not one", []string{"-ws", "http://a:1/ws"}, env(), nil, "want a ws:// or wss:// URL"},
		{"a gateway URL that is not one", []string{"-gateways", "a:1"}, env(), nil, "want http://"},
		{"no clients", []string{"-clients", "0"}, env(), nil, "need 1 <= clients"},
		{"a bad WS_MESSAGE_RATE", nil, env("WS_MESSAGE_RATE", "fast"), nil, "WS_MESSAGE_RATE"},
		{"a stray argument", []string{"now"}, env(), nil, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(append([]string{"loadtest"}, tt.args...), tt.getenv, &bytes.Buffer{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

// broadcaster is the smallest server speaking the gateway's frames: every text frame's body goes
// to every connection. A connection joins before the handshake completes, as on the gateway, so
// that it receives everything sent once its client is connected.
type broadcaster struct {
	mu    sync.Mutex
	peers map[chan []byte]struct{}
}

func (b *broadcaster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	queue := make(chan []byte, 64)
	b.mu.Lock()
	b.peers[queue] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.peers, queue)
		b.mu.Unlock()
	}()
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer func() { _ = c.CloseNow() }()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		for {
			select {
			case out := <-queue:
				if c.Write(ctx, websocket.MessageText, out) != nil {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var in struct{ Body string }
		if json.Unmarshal(data, &in) != nil {
			continue
		}
		out, _ := json.Marshal(map[string]any{"type": "message", "message": map[string]string{"body": in.Body}})
		b.mu.Lock()
		for peer := range b.peers {
			select {
			case peer <- out:
			default: // a slow peer misses it; the load test counts it lost
			}
		}
		b.mu.Unlock()
	}
}

func TestRunAgainstABroadcastServer(t *testing.T) {
	srv := httptest.NewServer(&broadcaster{peers: map[chan []byte]struct{}{}})
	defer srv.Close()
	url := strings.Replace(srv.URL, "http://", "ws://", 1) + "/v1/rooms/x/ws"
	var stdout, stderr bytes.Buffer
	args := []string{"loadtest", "-ws", url + "," + url, "-clients", "6", "-rate", "40", "-sender-rate", "20", "-duration", "250ms", "-json"}
	if err := run(t.Context(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var r result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if r.Clients != 6 || r.Servers != 2 || r.Senders != 2 || r.Messages != 10 || r.Sent != 10 || r.Expected != 60 ||
		r.Delivered != 60 || r.Lost != 0 || r.Duplicates != 0 || r.Disconnected != 0 {
		t.Fatalf("%+v", r)
	}
	if r.DeliveredPerSecond <= 0 || r.P50Ms <= 0 || r.P99Ms < r.P50Ms || r.MaxMs < r.P99Ms {
		t.Fatalf("figures out of order: %+v", r)
	}
}

func TestReportText(t *testing.T) {
	r := result{Clients: 100, Servers: 1, Senders: 1, Rate: 4, Messages: 40, Sent: 40, Expected: 4000, Delivered: 3999, Lost: 1,
		Seconds: 10, DeliveredPerSecond: 399.9, P50Ms: 1.234, P99Ms: 5.678, MaxMs: 9.5, MaxSendLagMs: 0.25}
	var out bytes.Buffer
	if err := r.write(&out, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"100 clients over 1 server; 1 sender, 4 msgs/s (40 messages planned)\n",
		"delivered 3999 of 4000 (lost 1, ",
		"delivered 400 msgs/s; end-to-end latency p50 1.23ms, p99 5.68ms, max 9.50ms",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunReportsADroppedClientAndFails(t *testing.T) {
	good := httptest.NewServer(&broadcaster{peers: map[chan []byte]struct{}{}})
	defer good.Close()
	// Drops every socket at once, as a gateway drops a slow consumer.
	dropping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		_ = c.Close(websocket.StatusPolicyViolation, "slow consumer: send queue full")
	}))
	defer dropping.Close()
	ws := func(s *httptest.Server) string {
		return strings.Replace(s.URL, "http://", "ws://", 1) + "/v1/rooms/x/ws"
	}
	var stdout, stderr bytes.Buffer
	args := []string{"loadtest", "-ws", ws(good) + "," + ws(dropping), "-clients", "2", "-rate", "20", "-sender-rate", "20",
		"-duration", "200ms", "-drain", "200ms", "-json"}
	err := run(t.Context(), args, func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 client disconnected") || !strings.Contains(err.Error(), "slow consumer") {
		t.Fatalf("err = %v, want 1 client disconnected as a slow consumer", err)
	}
	var r result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("no report before the error: %v: %q", err, stdout.String())
	}
	if r.Disconnected != 1 || r.Sent != 4 || r.Expected != 8 || r.Delivered != 4 || r.Lost != 4 {
		t.Fatalf("%+v", r)
	}
}
