package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/fanout"
)

// subscriber is one local receiver of a room's messages: a WebSocket connection. Deliver must
// not block: it queues or drops.
type subscriber interface {
	deliver(frame []byte)
}

// Hub holds one feed subscription per room that has local connections, however many there are,
// and hands each message, encoded once, to every local connection of the room.
type Hub struct {
	ctx    context.Context
	feed   chat.Feed
	logger *slog.Logger

	mu    sync.Mutex
	rooms map[string]*hubRoom
}

type hubRoom struct {
	ready chan struct{} // closed once the subscription is made (or failed)
	err   error
	stop  func()
	subs  map[subscriber]struct{}
}

// NewHub returns a hub on feed; its subscriptions end with ctx.
func NewHub(ctx context.Context, logger *slog.Logger, feed chat.Feed) *Hub {
	return &Hub{ctx: ctx, feed: feed, logger: logger, rooms: map[string]*hubRoom{}}
}

// join adds s to the room, subscribing to the room's feed if s is its first local receiver. It
// returns once messages published from then on reach s.
func (h *Hub) join(roomID string, s subscriber) error {
	h.mu.Lock()
	r, ok := h.rooms[roomID]
	if !ok {
		r = &hubRoom{ready: make(chan struct{}), subs: map[subscriber]struct{}{}}
		h.rooms[roomID] = r
		go h.subscribe(roomID, r)
	}
	r.subs[s] = struct{}{}
	h.mu.Unlock()

	<-r.ready
	if r.err != nil {
		h.leave(roomID, s)
		return r.err
	}
	return nil
}

// subscribe makes the room's feed subscription, outside the hub's lock: other rooms do not wait
// on this one's round trip to NATS.
func (h *Hub) subscribe(roomID string, r *hubRoom) {
	stop, err := h.feed.Subscribe(h.ctx, roomID, func(m chat.Message) { h.broadcast(roomID, m) })
	h.mu.Lock()
	if err != nil {
		r.err = fmt.Errorf("subscribe to room %s: %w", roomID, err)
		if h.rooms[roomID] == r {
			delete(h.rooms, roomID)
		}
	} else {
		r.stop = stop
		if len(r.subs) == 0 { // everyone left while subscribing
			if h.rooms[roomID] == r {
				delete(h.rooms, roomID)
			}
			stop()
		}
	}
	h.mu.Unlock()
	close(r.ready)
}

// leave removes s; the last local receiver of a room ends its subscription.
func (h *Hub) leave(roomID string, s subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.rooms[roomID]
	if !ok {
		return
	}
	delete(r.subs, s)
	if len(r.subs) == 0 && r.stop != nil {
		delete(h.rooms, roomID)
		r.stop()
	}
}

// broadcast runs on the feed's delivery goroutine: it only encodes and queues, so one slow
// connection never holds the room back.
func (h *Hub) broadcast(roomID string, m chat.Message) {
	frame, err := messageFrame(m)
	if err != nil {
		h.logger.Error("encode message frame", slog.Any("error", err))
		return
	}
	h.mu.Lock()
	r := h.rooms[roomID]
	var subs []subscriber
	if r != nil {
		subs = make([]subscriber, 0, len(r.subs))
		for s := range r.subs {
			subs = append(subs, s)
		}
	}
	h.mu.Unlock()
	for _, s := range subs {
		s.deliver(frame)
	}
}

// Rooms returns how many rooms have a feed subscription.
func (h *Hub) Rooms() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rooms)
}

// messageFrame is a message as the WebSocket sends it: {"type":"message","message":{...}}, the
// message in the same JSON the REST API uses.
func messageFrame(m chat.Message) ([]byte, error) {
	body, err := protojson.Marshal(fanout.ToProto(m))
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	frame := make([]byte, 0, len(body)+32)
	frame = append(frame, `{"type":"message","message":`...)
	frame = append(frame, body...)
	return append(frame, '}'), nil
}
