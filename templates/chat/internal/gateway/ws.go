package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"example.com/gopher-template/chat/internal/chat"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/jwtauth"
)

// Subprotocol is the WebSocket subprotocol of the chat API. Browsers cannot set an
// Authorization header on a WebSocket, so they send the token as a second offered subprotocol,
// "bearer.<jwt>", which the server never selects (nor echoes).
const (
	Subprotocol         = "chat.v1"
	bearerProtocolStart = "bearer."
)

// Close codes of our own (4000-4999 are the application's).
const (
	// StatusTokenRejected: the access token expired or was rejected mid-connection.
	StatusTokenRejected websocket.StatusCode = 4001
)

// WSOptions configure the WebSocket endpoint.
type WSOptions struct {
	// OriginPatterns are the browser origins (host patterns, as coder/websocket takes them) allowed
	// besides the gateway's own host. Empty: same origin only.
	OriginPatterns []string
	// SendQueue is how many frames may wait for a slow client; one more and it is dropped.
	SendQueue int
	// ReadLimit bounds one incoming frame, in bytes.
	ReadLimit int64
	// PingInterval is how often the server pings; a pong must come back within it.
	PingInterval time.Duration
	// WriteTimeout bounds one frame's write.
	WriteTimeout time.Duration
	// MessageRate and MessageBurst limit the messages one connection sends.
	MessageRate  rate.Limit
	MessageBurst int
}

// Recorder counts WebSocket events, for metrics.
type Recorder interface {
	WSConnected(delta int)
	WSDropped(reason string)
	WSDelivered()
}

type wsHandler struct {
	logger   *slog.Logger
	verifier *jwtauth.Verifier
	chat     chatv1.ChatServiceClient
	hub      *Hub
	opts     WSOptions
	rec      Recorder

	mu      sync.Mutex
	conns   map[*wsConn]struct{}
	closing bool
	wg      sync.WaitGroup
}

type inbound struct {
	Body string `json:"body"`
}

type errorFrame struct {
	Type  string `json:"type"`
	Error string `json:"error"`
}

// wsConn is one accepted connection.
type wsConn struct {
	c      *websocket.Conn
	queue  chan []byte
	cancel context.CancelFunc
	// closeCode and closeReason are the close frame the writer sends when it stops; the first
	// reason to close wins.
	closeOnce   sync.Once
	closeCode   websocket.StatusCode
	closeReason string
	dropped     atomic.Bool
	h           *wsHandler
}

func (c *wsConn) closeWith(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		c.cancel()
	})
}

// deliver queues a frame, or drops the connection when its queue is full: a slow consumer never
// blocks the room.
func (c *wsConn) deliver(frame []byte) {
	select {
	case c.queue <- frame:
	default:
		if c.dropped.CompareAndSwap(false, true) {
			c.h.rec.WSDropped("slow_consumer")
			c.closeWith(websocket.StatusPolicyViolation, "slow consumer: send queue full")
		}
	}
}

func (h *wsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	roomID := chat.CanonicalRoomID(r.PathValue("room_id")) // one hub key and subject per room, whatever the case
	// The origin first, before anything is done for the caller (Accept checks it again).
	if !originAllowed(r, h.opts.OriginPatterns) {
		writeJSON(w, http.StatusForbidden, errorBody{Error: "origin not allowed", Code: codes.PermissionDenied.String()})
		return
	}
	token, offered := bearerToken(r)
	if token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chat"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "missing access token", Code: codes.Unauthenticated.String()})
		return
	}
	p, err := h.verifier.Verify(token)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chat", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "invalid access token", Code: codes.Unauthenticated.String()})
		return
	}
	// Opening a room's socket joins the room (idempotent); the chat service says whether the
	// room exists.
	callCtx := metadata.AppendToOutgoingContext(r.Context(), "authorization", "Bearer "+token)
	if _, err := h.chat.JoinRoom(callCtx, &chatv1.JoinRoomRequest{RoomId: roomID}); err != nil {
		s := status.Convert(err)
		writeJSON(w, HTTPStatus(s.Code()), errorBody{Error: publicMessage(s), Code: s.Code().String()})
		return
	}
	if !h.track(nil) {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "shutting down", Code: codes.Unavailable.String()})
		return
	}
	defer h.wg.Done()

	// The connection outlives the HTTP request's deadlines: it ends when it closes, or at shutdown.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	conn := &wsConn{queue: make(chan []byte, h.opts.SendQueue), cancel: cancel, h: h, closeCode: websocket.StatusNormalClosure}
	// Subscribed before the handshake completes: once the client sees the upgrade, every message
	// sent to the room from then on reaches it (frames queue until the writer starts).
	if err := h.hub.join(roomID, conn); err != nil {
		h.logger.ErrorContext(ctx, "websocket: join the room's feed", slog.Any("error", err))
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "live feed unavailable, try again", Code: codes.Unavailable.String()})
		return
	}
	defer h.hub.leave(roomID, conn)

	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:   offered,
		OriginPatterns: h.opts.OriginPatterns,
	})
	if err != nil {
		h.logger.InfoContext(r.Context(), "websocket handshake refused", slog.Any("error", err))
		return // Accept has answered
	}
	c.SetReadLimit(h.opts.ReadLimit)
	conn.c = c
	if !h.track(conn) {
		_ = c.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer h.untrack(conn)
	h.rec.WSConnected(1)
	defer h.rec.WSConnected(-1)

	user := chat.User{ID: p.UserID, Name: p.Username}
	// The reader has a context of its own: coder/websocket closes the connection, without a close
	// frame, when a Read's context ends. The writer's Close ends the read instead, cleanly.
	readCtx, stopReading := context.WithCancel(context.WithoutCancel(r.Context()))
	defer stopReading()
	go h.readLoop(readCtx, conn, callCtx, roomID)
	h.writeLoop(ctx, conn)
	h.logger.DebugContext(ctx, "websocket closed", slog.String("room_id", roomID), slog.String("user_id", user.ID),
		slog.Int("code", int(conn.closeCode)), slog.String("reason", conn.closeReason))
}

// track registers a connection (or, with nil, one more handler in flight) unless the gateway is
// shutting down.
func (h *wsHandler) track(c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	if c == nil {
		h.wg.Add(1)
	} else {
		h.conns[c] = struct{}{}
	}
	return true
}

func (h *wsHandler) untrack(c *wsConn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// readLoop reads the client's frames and sends each as a message, within the rate limit. It
// also reads the pongs and the close frame, so it runs for the connection's whole life.
func (h *wsHandler) readLoop(ctx context.Context, conn *wsConn, callCtx context.Context, roomID string) {
	limiter := rate.NewLimiter(h.opts.MessageRate, h.opts.MessageBurst)
	for {
		typ, data, err := conn.c.Read(ctx)
		if err != nil {
			switch {
			case websocket.CloseStatus(err) != -1: // the client closed
				conn.closeWith(websocket.CloseStatus(err), "")
			case errors.Is(err, context.Canceled):
			case strings.Contains(err.Error(), "read limited"): // coder/websocket's SetReadLimit error
				conn.closeWith(websocket.StatusMessageTooBig, "frame too large")
			default:
				conn.closeWith(websocket.StatusProtocolError, "read failed")
			}
			conn.cancel()
			return
		}
		if typ != websocket.MessageText {
			h.sendError(conn, "frames must be text: {\"body\": \"...\"}")
			continue
		}
		if !limiter.Allow() {
			h.rec.WSDropped("rate_limited")
			h.sendError(conn, "rate limited: message dropped")
			continue
		}
		var in inbound
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			h.sendError(conn, "frames must be JSON objects: {\"body\": \"...\"}")
			continue
		}
		sendCtx, cancel := context.WithTimeout(callCtx, 5*time.Second)
		_, err = h.chat.SendMessage(sendCtx, &chatv1.SendMessageRequest{RoomId: roomID, Body: in.Body})
		cancel()
		if err != nil {
			s := status.Convert(err)
			if s.Code() == codes.Unauthenticated {
				conn.closeWith(StatusTokenRejected, "access token rejected: reconnect with a fresh one")
				return
			}
			h.sendError(conn, publicMessage(s))
		}
	}
}

// writeLoop sends queued frames and pings until the connection is done, then closes it with its
// close code.
//
// Neither a write nor a ping runs under ctx: coder/websocket closes the connection outright,
// without a close frame, when the context of a Write or a Ping ends before the call returns, and
// ctx ends at shutdown (or for any other reason to close). So a frame being written is finished
// (within WriteTimeout), a ping waits for its pong on the side (within PingInterval), and the close
// frame follows. A peer that takes no more data, or does not answer, is dropped at those bounds.
func (h *wsHandler) writeLoop(ctx context.Context, conn *wsConn) {
	opCtx := context.WithoutCancel(ctx)
	ping := time.NewTicker(h.opts.PingInterval)
	defer ping.Stop()
	var pong chan error // the outcome of the ping in flight; nil when there is none
	var pinging sync.WaitGroup
	defer pinging.Wait() // the connection is closed by then, which ends a ping at once
	for {
		// Closing comes first: frames still queued are not sent.
		if ctx.Err() != nil {
			// The close handshake is bounded by coder/websocket (5 s each way).
			_ = conn.c.Close(conn.closeCode, conn.closeReason)
			return
		}
		select {
		case <-ctx.Done():
		case frame := <-conn.queue:
			wctx, cancel := context.WithTimeout(opCtx, h.opts.WriteTimeout)
			err := conn.c.Write(wctx, websocket.MessageText, frame)
			cancel()
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) { // a peer too slow to take one frame
					h.rec.WSDropped("write_timeout")
				}
				conn.closeWith(websocket.StatusGoingAway, "write failed")
				_ = conn.c.CloseNow()
				return
			}
			h.rec.WSDelivered()
		case <-ping.C:
			if pong == nil {
				out := make(chan error, 1)
				pong = out
				pinging.Go(func() {
					pctx, cancel := context.WithTimeout(opCtx, h.opts.PingInterval)
					defer cancel()
					out <- conn.c.Ping(pctx)
				})
			}
		case err := <-pong:
			pong = nil
			if err != nil {
				if !errors.Is(err, net.ErrClosed) { // closed: the reader saw the peer go
					h.rec.WSDropped("ping_timeout")
					conn.closeWith(websocket.StatusGoingAway, "ping timeout")
				}
				_ = conn.c.CloseNow()
				return
			}
		}
	}
}

// sendError queues an error frame for the client (dropped like any frame if the queue is full).
func (h *wsHandler) sendError(conn *wsConn, msg string) {
	frame, err := json.Marshal(errorFrame{Type: "error", Error: msg})
	if err != nil {
		return
	}
	conn.deliver(frame)
}

// Shutdown closes every connection with 1001 (going away) and waits for their handlers, until
// ctx ends. New connections are refused from the start.
func (h *wsHandler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	conns := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.StatusGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("websocket: connections still open at the shutdown deadline")
	}
}

// bearerToken finds the access token in the Authorization header or in an offered
// "bearer.<jwt>" subprotocol, and returns the other offered subprotocols the server may select.
func bearerToken(r *http.Request) (token string, protocols []string) {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		token = strings.TrimSpace(h[7:])
	}
	for _, field := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(field, ",") {
			p = strings.TrimSpace(p)
			if t, ok := strings.CutPrefix(p, bearerProtocolStart); ok && token == "" {
				token = t
			}
		}
	}
	return token, []string{Subprotocol}
}

// originAllowed applies coder/websocket's origin rule: no Origin header (not a browser), the
// request's own host, or a host matching one of patterns (path.Match, case-insensitive).
func originAllowed(r *http.Request, patterns []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, p := range patterns {
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); err == nil && ok {
			return true
		}
	}
	return false
}
