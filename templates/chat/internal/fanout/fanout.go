// Package fanout carries live chat messages between processes over core NATS: the chat service
// publishes each stored message on its room's subject, and every subscriber (the chat service's
// streams, every gateway replica) receives it. Core NATS, not JetStream: a live feed is
// at-most-once by nature, the history in PostgreSQL is the record, and a client that missed
// something while disconnected pages the history (docs/adr/0003-fanout.md).
package fanout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"example.com/gopher-template/chat/internal/chat"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
)

// Feed is chat.Feed on a NATS connection.
type Feed struct {
	nc     *nats.Conn
	prefix string
	logger *slog.Logger
}

var _ chat.Feed = (*Feed)(nil)

// New returns a Feed publishing under "<prefix>.room.<room id>".
func New(nc *nats.Conn, prefix string, logger *slog.Logger) (*Feed, error) {
	if prefix == "" || strings.ContainsAny(prefix, " \t\r\n*>") || strings.HasPrefix(prefix, ".") || strings.HasSuffix(prefix, ".") {
		return nil, fmt.Errorf("fanout: subject prefix %q must be non-empty, without spaces or wildcards", prefix)
	}
	return &Feed{nc: nc, prefix: prefix, logger: logger}, nil
}

// Subject is the room's subject.
func (f *Feed) Subject(roomID string) string { return f.prefix + ".room." + roomID }

// Publish sends m to the room's subscribers. It returns once NATS has the message in its
// outgoing buffer; delivery is at most once.
func (f *Feed) Publish(_ context.Context, m chat.Message) error {
	data, err := proto.Marshal(ToProto(m))
	if err != nil {
		return fmt.Errorf("fanout: encode: %w", err)
	}
	if err := f.nc.Publish(f.Subject(m.RoomID), data); err != nil {
		return fmt.Errorf("fanout: publish: %w", err)
	}
	return nil
}

// Subscribe calls deliver, from one goroutine per subscription and in order, with each message
// of the room, until ctx ends or stop is called. It returns once the server has the
// subscription, so that messages published after it returns are delivered.
func (f *Feed) Subscribe(ctx context.Context, roomID string, deliver func(chat.Message)) (func(), error) {
	sub, err := f.nc.Subscribe(f.Subject(roomID), func(msg *nats.Msg) {
		var pb chatv1.Message
		if err := proto.Unmarshal(msg.Data, &pb); err != nil {
			f.logger.WarnContext(ctx, "fanout: undecodable message dropped", slog.String("subject", msg.Subject), slog.Any("error", err))
			return
		}
		deliver(FromProto(&pb))
	})
	if err != nil {
		return nil, fmt.Errorf("fanout: subscribe: %w", err)
	}
	flushCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := f.nc.FlushWithContext(flushCtx); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("fanout: subscribe: %w", err)
	}
	// The end of ctx and the caller's stop may come at once, and stop may be called twice: the
	// unsubscription runs once.
	unsubscribe := sync.OnceFunc(func() {
		if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
			f.logger.WarnContext(ctx, "fanout: unsubscribe", slog.Any("error", err))
		}
	})
	stopAfter := context.AfterFunc(ctx, unsubscribe)
	return func() {
		stopAfter()
		unsubscribe()
	}, nil
}

// ToProto converts a message to its wire form.
func ToProto(m chat.Message) *chatv1.Message {
	return &chatv1.Message{Id: m.ID, RoomId: m.RoomID, UserId: m.UserID, Username: m.Username, Body: m.Body, CreateTime: timestamppb.New(m.CreatedAt)}
}

// FromProto converts a message from its wire form.
func FromProto(pb *chatv1.Message) chat.Message {
	return chat.Message{ID: pb.GetId(), RoomID: pb.GetRoomId(), UserID: pb.GetUserId(), Username: pb.GetUsername(), Body: pb.GetBody(), CreatedAt: pb.GetCreateTime().AsTime()}
}

// pingInterval is how often the connection to NATS is probed when it is idle.
const pingInterval = 10 * time.Second

// Connect connects to NATS, named name, reconnecting forever: a live feed that is down for a
// while comes back by itself.
func Connect(ctx context.Context, url, name string, logger *slog.Logger) (*nats.Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(false),
		// A network that drops silently (no FIN, no RST) is noticed within 3 pings (30 s),
		// not nats.go's default 2 min × 2: until then readiness says ok and messages are lost.
		nats.PingInterval(pingInterval),
		nats.MaxPingsOutstanding(2),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			logger.WarnContext(ctx, "nats disconnected", slog.Any("error", err))
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			logger.InfoContext(ctx, "nats reconnected", slog.String("url", c.ConnectedUrlRedacted()))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("nats: connect: %w", err)
	}
	return nc, nil
}

// Ready is the readiness check of a NATS connection.
func Ready(nc *nats.Conn) func(context.Context) error {
	return func(context.Context) error {
		if !nc.IsConnected() {
			return fmt.Errorf("nats: %s", nc.Status())
		}
		return nil
	}
}
