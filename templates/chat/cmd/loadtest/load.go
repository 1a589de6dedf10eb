package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

const (
	// dialers is how many clients connect at once.
	dialers = 32
	// ioTimeout bounds one dial and one write.
	ioTimeout = 15 * time.Second
)

// client is one WebSocket connection. Until they return, its reader goroutine alone writes the
// fields from seen to readErr, and its sender goroutine (if it sends) writeErr.
type client struct {
	conn       *websocket.Conn
	seen       []bool // by message number
	latencies  []time.Duration
	delivered  int64
	duplicates int64
	refused    int64         // error frames: messages the server refused (its rate limit)
	last       time.Duration // when it read its last message
	readErr    error         // why it stopped reading before the end, if it did
	writeErr   error         // why it stopped sending, if it did (its sender goroutine sets it)
}

// frame is what the load test reads of a frame the server sends.
type frame struct {
	Type    string `json:"type"`
	Message struct {
		Body string `json:"body"`
	} `json:"message"`
}

// runState is what the goroutines of one run share.
type runState struct {
	start     time.Time // the run's monotonic clock starts here
	delivered atomic.Int64
	ending    atomic.Bool // set before the clients are closed: a read error is then expected
}

func (s *runState) now() time.Duration { return time.Since(s.start) }

// loadTest connects p.clients clients, round robin over sockets, runs the plan and reports.
func loadTest(ctx context.Context, logger *slog.Logger, p plan, sockets []string, header http.Header, drain time.Duration) (result, error) {
	st := &runState{start: time.Now()}
	clients, err := connectAll(ctx, p, sockets, header)
	if err != nil {
		return result{}, err
	}
	logger.InfoContext(ctx, "connected", slog.Int("clients", len(clients)), slog.Int("servers", len(sockets)))

	var readers sync.WaitGroup
	readCtx, stopReading := context.WithCancel(context.WithoutCancel(ctx))
	defer stopReading()
	for _, c := range clients {
		readers.Go(func() { c.read(readCtx, st) })
	}

	logger.InfoContext(ctx, "sending", slog.Int("senders", p.senders), slog.Float64("rate", p.rate), slog.Int("messages", p.messages))
	begin := st.now()
	sent, lag := sendAll(ctx, p, st, begin, clients[:p.senders])
	expected := sent * int64(len(clients))
	waitDelivered(ctx, st, expected, drain)

	// Closed with a close handshake, which the readers see as the end of their reads.
	st.ending.Store(true)
	var closers sync.WaitGroup
	for _, c := range clients {
		closers.Go(func() { _ = c.conn.Close(websocket.StatusNormalClosure, "load test done") })
	}
	closers.Wait()
	stopReading()
	readers.Wait()
	if err := ctx.Err(); err != nil {
		return result{}, fmt.Errorf("load test: %w", err)
	}
	return summarize(p, len(sockets), clients, begin, sent, lag), nil
}

// connectAll opens the clients' sockets, a few at a time; on failure it closes those it opened.
func connectAll(ctx context.Context, p plan, sockets []string, header http.Header) ([]*client, error) {
	clients := make([]*client, p.clients)
	errs := make([]error, p.clients)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(dialers, p.clients) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= p.clients || ctx.Err() != nil {
					return
				}
				conn, err := dial(ctx, sockets[i%len(sockets)], header)
				if err != nil {
					errs[i] = fmt.Errorf("client %d: %w", i, err)
					return
				}
				clients[i] = &client{conn: conn, seen: make([]bool, p.messages), latencies: make([]time.Duration, 0, p.messages)}
			}
		})
	}
	wg.Wait()
	err := errors.Join(errs...)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("connect: %w", ctx.Err())
	}
	if err != nil {
		for _, c := range clients {
			if c != nil {
				_ = c.conn.CloseNow()
			}
		}
		return nil, err
	}
	return clients, nil
}

func dial(ctx context.Context, url string, header http.Header) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header, Subprotocols: []string{"chat.v1"}})
	if resp != nil && resp.Body != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return nil, fmt.Errorf("dial %s: %s: %s", url, resp.Status, body)
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	return conn, nil
}

// read reads frames until the connection ends, recording every load-test message once.
func (c *client) read(ctx context.Context, st *runState) {
	for {
		_, data, err := c.conn.Read(ctx)
		if err != nil {
			if !st.ending.Load() {
				c.readErr = err
			}
			return
		}
		at := st.now()
		var f frame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		switch f.Type {
		case "error":
			c.refused++
		case "message":
			n, sentAt, ok := decodeBody(f.Message.Body)
			if !ok || n >= len(c.seen) {
				continue // not the load test's
			}
			if c.seen[n] {
				c.duplicates++
				continue
			}
			c.seen[n] = true
			c.delivered++
			c.latencies = append(c.latencies, at-sentAt)
			c.last = at
			st.delivered.Add(1)
		}
	}
}

// sendAll runs the senders, each on its own client, from begin on the run's clock, and returns
// how many messages they wrote and how far behind its schedule a sender fell at worst. A sender
// whose socket fails stops; the others go on.
func sendAll(ctx context.Context, p plan, st *runState, begin time.Duration, senders []*client) (sent int64, lag time.Duration) {
	var total atomic.Int64
	lags := make([]time.Duration, len(senders))
	var wg sync.WaitGroup
	for i, c := range senders {
		wg.Go(func() {
			timer := time.NewTimer(0)
			defer timer.Stop()
			for n := i; n < p.messages; n += p.senders {
				due := begin + p.due(n)
				if wait := due - st.now(); wait > 0 {
					timer.Reset(wait)
					select {
					case <-timer.C:
					case <-ctx.Done():
						return
					}
				}
				at := st.now()
				lags[i] = max(lags[i], at-due)
				if err := c.write(ctx, encodeBody(n, at)); err != nil {
					if ctx.Err() == nil {
						c.writeErr = fmt.Errorf("message %d: %w", n, err)
					}
					return
				}
				total.Add(1)
			}
		})
	}
	wg.Wait()
	return total.Load(), slices.Max(lags)
}

func (c *client) write(ctx context.Context, body string) error {
	data, err := json.Marshal(struct {
		Body string `json:"body"`
	}{body})
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, data); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// waitDelivered returns once expected messages are delivered, drain has passed, or ctx ends.
func waitDelivered(ctx context.Context, st *runState, expected int64, drain time.Duration) {
	deadline := time.Now().Add(drain)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for st.delivered.Load() < expected && time.Now().Before(deadline) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}
