package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/chat/internal/auth"
	"example.com/gopher-template/chat/internal/auth/authtest"
	"example.com/gopher-template/chat/internal/authgrpc"
	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/chat/chattest"
	"example.com/gopher-template/chat/internal/chatgrpc"
	"example.com/gopher-template/chat/internal/gateway"
	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
	"example.com/gopher-template/chat/internal/grpcserver/grpctest"
	"example.com/gopher-template/chat/internal/password"
)

type recorder struct {
	mu        sync.Mutex
	connected int
	dropped   map[string]int
}

func (r *recorder) WSConnected(d int) { r.mu.Lock(); r.connected += d; r.mu.Unlock() }
func (r *recorder) WSDropped(reason string) {
	r.mu.Lock()
	r.dropped[reason]++
	r.mu.Unlock()
}
func (r *recorder) WSDelivered() {}
func (r *recorder) drops(reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped[reason]
}

type stack struct {
	url  string
	gw   *gateway.Gateway
	feed *chattest.MemoryFeed
	hub  *gateway.Hub
	rec  *recorder
	keys grpctest.Keys
}

func defaultWS() gateway.WSOptions {
	return gateway.WSOptions{SendQueue: 64, ReadLimit: 8192, PingInterval: time.Second, WriteTimeout: 5 * time.Second, MessageRate: 100, MessageBurst: 100}
}

// newStack runs the auth and chat services in memory behind a gateway on an httptest server.
func newStack(t *testing.T, ws gateway.WSOptions) stack {
	t.Helper()
	return newStackWith(t, ws, func(c chatv1.ChatServiceClient) chatv1.ChatServiceClient { return c })
}

// newStackWith lets the test wrap the gateway's chat client.
func newStackWith(t *testing.T, ws gateway.WSOptions, wrap func(chatv1.ChatServiceClient) chatv1.ChatServiceClient) stack {
	t.Helper()
	return newStackListening(t, ws, wrap, nil)
}

// newStackListening also lets the test wrap the gateway's listener (nil: as it is), to get at
// the server's side of the connections.
func newStackListening(t *testing.T, ws gateway.WSOptions, wrap func(chatv1.ChatServiceClient) chatv1.ChatServiceClient,
	listen func(net.Listener) net.Listener) stack {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	keys := grpctest.NewKeys(t)
	authSvc, err := auth.NewService(auth.Options{Store: authtest.NewMemoryStore(), Issuer: keys.Issuer, RefreshTTL: time.Hour,
		Password: password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatal(err)
	}
	authConn := grpctest.Serve(t, grpcserver.Options{}, func(s *grpc.Server) {
		authv1.RegisterAuthServiceServer(s, authgrpc.New(logger, authSvc))
	})
	feed := chattest.NewMemoryFeed()
	chatSvc := chat.NewService(logger, chattest.NewMemoryStore(), feed)
	chatConn := grpctest.Serve(t, grpcserver.Options{Verifier: keys.Verifier}, func(s *grpc.Server) {
		chatv1.RegisterChatServiceServer(s, chatgrpc.New(logger, chatSvc))
	})
	hub := gateway.NewHub(t.Context(), logger, feed)
	rec := &recorder{dropped: map[string]int{}}
	gw, err := gateway.New(t.Context(), logger, gateway.Options{
		Auth: authv1.NewAuthServiceClient(authConn), Chat: wrap(chatv1.NewChatServiceClient(chatConn)),
		Verifier: keys.Verifier, Hub: hub, WS: ws, Recorder: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(logging.Middleware(logger)(gw))
	if listen != nil {
		srv.Listener = listen(srv.Listener)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return stack{url: srv.URL, gw: gw, feed: feed, hub: hub, rec: rec, keys: keys}
}

func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// login registers and logs in a user over REST and returns the access token.
func login(t *testing.T, base, name string) string {
	t.Helper()
	if code, body := call(t, http.MethodPost, base+"/v1/auth/register", "", map[string]string{"username": name, "password": "correct horse"}); code != http.StatusOK {
		t.Fatalf("register %s: %d %v", name, code, body)
	}
	code, body := call(t, http.MethodPost, base+"/v1/auth/login", "", map[string]string{"username": name, "password": "correct horse"})
	if code != http.StatusOK {
		t.Fatalf("login %s: %d %v", name, code, body)
	}
	tokens, _ := body["tokens"].(map[string]any)
	token, _ := tokens["accessToken"].(string)
	if token == "" {
		t.Fatalf("login %s: no access token in %v", name, body)
	}
	return token
}

func createRoom(t *testing.T, base, token string) string {
	t.Helper()
	code, body := call(t, http.MethodPost, base+"/v1/rooms", token, map[string]string{"name": "general"})
	if code != http.StatusOK {
		t.Fatalf("create room: %d %v", code, body)
	}
	room, _ := body["room"].(map[string]any)
	id, _ := room["id"].(string)
	return id
}

func TestREST(t *testing.T) {
	t.Parallel()
	s := newStack(t, defaultWS())
	ada := login(t, s.url, "ada")
	bob := login(t, s.url, "bob")
	room := createRoom(t, s.url, ada)

	tests := []struct {
		name, method, path, token string
		body                      any
		wantStatus                int
		wantCode                  string
	}{
		{"no token", http.MethodGet, "/v1/rooms", "", nil, http.StatusUnauthorized, "Unauthenticated"},
		{"bad token", http.MethodGet, "/v1/rooms", "garbage", nil, http.StatusUnauthorized, "Unauthenticated"},
		{"list rooms", http.MethodGet, "/v1/rooms?page_size=10", ada, nil, http.StatusOK, ""},
		{"username taken", http.MethodPost, "/v1/auth/register", "", map[string]string{"username": "ada", "password": "correct horse"}, http.StatusConflict, "AlreadyExists"},
		{"invalid username", http.MethodPost, "/v1/auth/register", "", map[string]string{"username": "A!", "password": "correct horse"}, http.StatusBadRequest, "InvalidArgument"},
		{"wrong password", http.MethodPost, "/v1/auth/login", "", map[string]string{"username": "ada", "password": "wrong horse"}, http.StatusUnauthorized, "Unauthenticated"},
		{"unknown field", http.MethodPost, "/v1/rooms", ada, map[string]string{"name": "x", "owner": "me"}, http.StatusBadRequest, "InvalidArgument"},
		{"not a member", http.MethodPost, "/v1/rooms/" + room + "/messages", bob, map[string]string{"body": "hi"}, http.StatusForbidden, "PermissionDenied"},
		{"missing room", http.MethodPost, "/v1/rooms/0190c6a4-0000-7000-8000-000000000000/members", bob, nil, http.StatusNotFound, "NotFound"},
		{"join", http.MethodPost, "/v1/rooms/" + room + "/members", bob, nil, http.StatusOK, ""},
		{"send after joining", http.MethodPost, "/v1/rooms/" + room + "/messages", bob, map[string]string{"body": "hi"}, http.StatusOK, ""},
		{"history", http.MethodGet, "/v1/rooms/" + room + "/messages?page_size=1", ada, nil, http.StatusOK, ""},
		{"leave", http.MethodDelete, "/v1/rooms/" + room + "/members", bob, nil, http.StatusOK, ""},
		{"unknown route", http.MethodGet, "/v1/nothing", ada, nil, http.StatusNotFound, "NotFound"},
	}
	for _, tt := range tests {
		code, body := call(t, tt.method, s.url+tt.path, tt.token, tt.body)
		if code != tt.wantStatus || (tt.wantCode != "" && body["code"] != tt.wantCode) {
			t.Errorf("%s: %d %v, want %d %s", tt.name, code, body, tt.wantStatus, tt.wantCode)
		}
	}
	_, history := call(t, http.MethodGet, s.url+"/v1/rooms/"+room+"/messages", ada, nil)
	if msgs, _ := history["messages"].([]any); len(msgs) != 1 {
		t.Errorf("history = %v, want bob's one message", history)
	}
}

// dial opens a room's socket and returns the handshake's HTTP status with it.
func dial(t *testing.T, s stack, room, token string, opts *websocket.DialOptions) (*websocket.Conn, int, error) {
	t.Helper()
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	if token != "" {
		opts.Subprotocols = append(opts.Subprotocols, gateway.Subprotocol, "bearer."+token)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, strings.Replace(s.url, "http://", "ws://", 1)+"/v1/rooms/"+room+"/ws", opts)
	code := 0
	if resp != nil {
		code = resp.StatusCode
		if resp.Body != nil {
			_ = resp.Body.Close()
		}
	}
	if c != nil {
		t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, code, err
}

type frame struct {
	Type    string         `json:"type"`
	Error   string         `json:"error"`
	Message map[string]any `json:"message"`
}

func read(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("frame %s: %v", data, err)
	}
	return f
}

func send(t *testing.T, c *websocket.Conn, body string) {
	t.Helper()
	data, _ := json.Marshal(map[string]string{"body": body})
	if err := c.Write(t.Context(), websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
}

func TestWebSocketExchange(t *testing.T) {
	t.Parallel()
	s := newStack(t, defaultWS())
	ada, bob := login(t, s.url, "ada"), login(t, s.url, "bob")
	room := createRoom(t, s.url, ada)
	a, _, err := dial(t, s, room, ada, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Subprotocol() != gateway.Subprotocol {
		t.Errorf("subprotocol = %q, want %q (never the token)", a.Subprotocol(), gateway.Subprotocol)
	}
	// bob is not a member: opening the socket joins him. The Authorization header works too.
	b, _, err := dial(t, s, room, "", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + bob}}})
	if err != nil {
		t.Fatal(err)
	}
	if s.hub.Rooms() != 1 {
		t.Errorf("hub rooms = %d, want 1 subscription for two connections", s.hub.Rooms())
	}
	send(t, b, "hello from bob")
	for name, c := range map[string]*websocket.Conn{"ada": a, "bob": b} {
		f := read(t, c)
		if f.Type != "message" || f.Message["body"] != "hello from bob" || f.Message["username"] != "bob" {
			t.Errorf("%s received %+v", name, f)
		}
	}
	send(t, a, "")
	if f := read(t, a); f.Type != "error" || !strings.Contains(f.Error, "body") {
		t.Errorf("empty body: %+v, want an error frame", f)
	}
	if err := a.Write(t.Context(), websocket.MessageText, []byte(`{"body":"x","extra":1}`)); err != nil {
		t.Fatal(err)
	}
	if f := read(t, a); f.Type != "error" {
		t.Errorf("unknown field: %+v, want an error frame", f)
	}
}

func TestWebSocketRefusals(t *testing.T) {
	t.Parallel()
	s := newStack(t, defaultWS())
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	tests := []struct {
		name   string
		room   string
		token  string
		opts   *websocket.DialOptions
		status int
	}{
		{"no token", room, "", nil, http.StatusUnauthorized},
		{"bad token", room, "garbage", nil, http.StatusUnauthorized},
		{"missing room", "0190c6a4-0000-7000-8000-000000000000", ada, nil, http.StatusNotFound},
		{"not a room id", "general", ada, nil, http.StatusBadRequest},
		{"foreign origin", room, ada, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}}, http.StatusForbidden},
		{"malformed origin", room, ada, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"::"}}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		_, code, err := dial(t, s, tt.room, tt.token, tt.opts)
		if tt.name == "foreign origin" && s.hub.Rooms() != 0 {
			t.Errorf("a refused origin left %d room subscriptions", s.hub.Rooms())
		}
		if err == nil || code != tt.status {
			t.Errorf("%s: status %d, err %v; want %d", tt.name, code, err, tt.status)
		}
	}
}

func TestWebSocketLimits(t *testing.T) {
	t.Parallel()
	ws := defaultWS()
	ws.MessageRate, ws.MessageBurst = 0.001, 2
	ws.ReadLimit = 256
	s := newStack(t, ws)
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	c, _, err := dial(t, s, room, ada, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		send(t, c, fmt.Sprint("m", i))
	}
	var messages, limited int
	for range 3 {
		switch f := read(t, c); {
		case f.Type == "message":
			messages++
		case f.Type == "error" && strings.Contains(f.Error, "rate limited"):
			limited++
		}
	}
	if messages != 2 || limited != 1 {
		t.Errorf("burst of 3 with burst limit 2: %d messages, %d rate-limit errors; want 2 and 1", messages, limited)
	}
	// A frame over the read limit closes the connection with 1009.
	send(t, c, strings.Repeat("x", 300))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, _, err = c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("after an oversized frame: %v, want close 1009", err)
	}
}

func TestSlowConsumerIsDroppedWithoutStallingTheRoom(t *testing.T) {
	t.Parallel()
	ws := defaultWS()
	ws.SendQueue = 256
	ws.PingInterval = time.Hour // only the full queue may drop the slow client here, not a missed pong
	s := newStack(t, ws)
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	fast, _, err := dial(t, s, room, ada, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The slow client never reads, and its socket's receive buffer is tiny: the server's writes
	// to it block soon, and its send queue fills.
	tinyBuffer := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tcp, ok := c.(*net.TCPConn); ok {
			_ = tcp.SetReadBuffer(4096)
		}
		return c, err
	}}}
	if _, _, err := dial(t, s, room, ada, &websocket.DialOptions{HTTPClient: tinyBuffer}); err != nil {
		t.Fatal(err)
	}

	type result struct {
		n       int
		missing []int64
		err     error
	}
	received := make(chan result, 1)
	go func() {
		var r result
		var last int64
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		for {
			_, data, err := fast.Read(ctx)
			if err != nil {
				r.err = err
				break
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil || f.Type != "message" {
				t.Errorf("frame %d: %.80s", r.n, data)
				continue
			}
			var id int64
			_, _ = fmt.Sscan(fmt.Sprint(f.Message["id"]), &id)
			for want := last + 1; want < id; want++ {
				r.missing = append(r.missing, want)
			}
			last = id
			r.n++
			if f.Message["body"] == "end" {
				break
			}
		}
		received <- r
	}()

	// Publish until the slow client is dropped, then a hundred more and a last one. The feed
	// delivers synchronously here: a connection that blocked would stall this loop.
	body := strings.Repeat("y", 3500)
	const maxMessages = 20000
	published, droppedAt := 0, 0
	start := time.Now()
	for published < maxMessages && (droppedAt == 0 || published < droppedAt+100) {
		published++
		if err := s.feed.Publish(t.Context(), chat.Message{ID: int64(published), RoomID: room, UserID: "u", Username: "ada", Body: body, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if droppedAt == 0 && s.rec.drops("slow_consumer") > 0 {
			droppedAt = published
		}
		time.Sleep(200 * time.Microsecond) // paced, so that the fast reader keeps up
	}
	published++
	if err := s.feed.Publish(t.Context(), chat.Message{ID: int64(published), RoomID: room, UserID: "u", Username: "ada", Body: "end", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if droppedAt == 0 {
		t.Fatalf("the slow client was not dropped after %d messages", maxMessages)
	}
	r := <-received
	if r.n != published || len(r.missing) > 0 {
		t.Errorf("the fast client received %d of %d messages (missing %v, read error %v)", r.n, published, r.missing, r.err)
	}
	if n := s.rec.drops("slow_consumer"); n != 1 {
		t.Errorf("slow consumer drops = %d, want 1 (the fast client must not be dropped)", n)
	}
	t.Logf("slow client dropped after %d messages; %d published in %v", droppedAt, published, time.Since(start))
}

func TestShutdownClosesSocketsGoingAway(t *testing.T) {
	t.Parallel()
	s := newStack(t, defaultWS())
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	c, _, err := dial(t, s, room, ada, nil)
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, _, err := c.Read(t.Context())
		readErr <- err
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.gw.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-readErr; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("client saw %v, want close 1001", err)
	}
	if _, code, err := dial(t, s, room, ada, nil); err == nil || code != http.StatusServiceUnavailable {
		t.Errorf("dial after shutdown: %v, want 503", err)
	}
}

// expiredOnSend answers every SendMessage as the chat service does once the token has expired.
type expiredOnSend struct{ chatv1.ChatServiceClient }

func (expiredOnSend) SendMessage(context.Context, *chatv1.SendMessageRequest, ...grpc.CallOption) (*chatv1.SendMessageResponse, error) {
	return nil, status.Error(codes.Unauthenticated, "invalid access token")
}

func TestRejectedTokenClosesTheSocket(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, defaultWS(), func(c chatv1.ChatServiceClient) chatv1.ChatServiceClient { return expiredOnSend{c} })
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	c, _, err := dial(t, s, room, ada, nil)
	if err != nil {
		t.Fatal(err)
	}
	send(t, c, "hello")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != gateway.StatusTokenRejected {
		t.Errorf("after a rejected token: %v, want close %d", err, gateway.StatusTokenRejected)
	}
}

func TestAllowedOrigin(t *testing.T) {
	t.Parallel()
	ws := defaultWS()
	ws.OriginPatterns = []string{"*.chat.example"}
	s := newStack(t, ws)
	ada := login(t, s.url, "ada")
	room := createRoom(t, s.url, ada)
	if _, code, err := dial(t, s, room, ada, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://app.chat.example"}}}); err != nil {
		t.Errorf("an allowed origin was refused: %d %v", code, err)
	}
	if _, code, err := dial(t, s, room, ada, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://chat.example.evil"}}}); err == nil || code != http.StatusForbidden {
		t.Errorf("a look-alike origin: %d %v, want 403", code, err)
	}
}
