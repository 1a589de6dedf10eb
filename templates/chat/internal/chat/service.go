package chat

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Limits of the API.
const (
	MaxRoomNameLength   = 64
	MaxMessageBytes     = 4096
	DefaultPageSize     = 50
	MaxPageSize         = 100
	roomCursorPrefix    = "r1:"
	messageCursorPrefix = "m1:"
)

// Service is the chat service's behaviour.
type Service struct {
	store  Store
	feed   Feed
	logger *slog.Logger
	now    func() time.Time
}

// NewService returns a Service.
func NewService(logger *slog.Logger, store Store, feed Feed) *Service {
	return &Service{store: store, feed: feed, logger: logger, now: time.Now}
}

// CreateRoom creates a room with u as its first member.
func (s *Service) CreateRoom(ctx context.Context, u User, name string) (Room, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxRoomNameLength {
		return Room{}, &ValidationError{Field: "name", Reason: fmt.Sprintf("must be 1 to %d characters", MaxRoomNameLength)}
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Room{}, fmt.Errorf("chat: create room: %w", err)
	}
	r := Room{ID: id.String(), Name: name, CreatedBy: u.ID, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if err := s.store.CreateRoom(ctx, r); err != nil {
		return Room{}, fmt.Errorf("chat: create room: %w", err)
	}
	return r, nil
}

// JoinRoom makes u a member of the room.
func (s *Service) JoinRoom(ctx context.Context, u User, roomID string) error {
	roomID, err := parseRoomID(roomID)
	if err != nil {
		return err
	}
	if err := s.store.AddMember(ctx, roomID, u.ID, s.now().UTC()); err != nil {
		return fmt.Errorf("chat: join room: %w", err)
	}
	return nil
}

// LeaveRoom ends u's membership of the room.
func (s *Service) LeaveRoom(ctx context.Context, u User, roomID string) error {
	roomID, err := parseRoomID(roomID)
	if err != nil {
		return err
	}
	if err := s.store.RemoveMember(ctx, roomID, u.ID); err != nil {
		return fmt.Errorf("chat: leave room: %w", err)
	}
	return nil
}

// ListRooms returns a page of rooms, oldest first, and the token of the next page ("" at the end).
func (s *Service) ListRooms(ctx context.Context, pageSize int, pageToken string) ([]Room, string, error) {
	limit, err := pageLimit(pageSize)
	if err != nil {
		return nil, "", err
	}
	after := ""
	if pageToken != "" {
		raw, ok := decodeCursor(pageToken, roomCursorPrefix)
		id, perr := parseRoomID(raw)
		if !ok || perr != nil {
			return nil, "", &ValidationError{Field: "page_token", Reason: "is not a token this service issued"}
		}
		after = id
	}
	rooms, err := s.store.ListRooms(ctx, after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("chat: list rooms: %w", err)
	}
	next := ""
	if len(rooms) > limit {
		rooms = rooms[:limit]
		next = encodeCursor(roomCursorPrefix, rooms[limit-1].ID)
	}
	return rooms, next, nil
}

// SendMessage stores a message from u in the room and publishes it live. A failed publish is
// logged, not returned: the message is stored and in the history.
func (s *Service) SendMessage(ctx context.Context, u User, roomID, body string) (Message, error) {
	roomID, err := parseRoomID(roomID)
	if err != nil {
		return Message{}, err
	}
	if len(body) == 0 || len(body) > MaxMessageBytes || !utf8.ValidString(body) || strings.TrimSpace(body) == "" {
		return Message{}, &ValidationError{Field: "body", Reason: fmt.Sprintf("must be 1 to %d bytes of UTF-8, not only spaces", MaxMessageBytes)}
	}
	if err := s.requireMember(ctx, u, roomID); err != nil {
		return Message{}, err
	}
	m, err := s.store.AddMessage(ctx, Message{RoomID: roomID, UserID: u.ID, Username: u.Name, Body: body, CreatedAt: s.now().UTC().Truncate(time.Microsecond)})
	if err != nil {
		return Message{}, fmt.Errorf("chat: send message: %w", err)
	}
	if err := s.feed.Publish(ctx, m); err != nil {
		s.logger.WarnContext(ctx, "live publish failed; the message is stored", slog.Int64("message_id", m.ID), slog.Any("error", err))
	}
	return m, nil
}

// ListMessages returns a page of the room's history, newest first, for a member.
func (s *Service) ListMessages(ctx context.Context, u User, roomID string, pageSize int, pageToken string) ([]Message, string, error) {
	roomID, err := parseRoomID(roomID)
	if err != nil {
		return nil, "", err
	}
	limit, err := pageLimit(pageSize)
	if err != nil {
		return nil, "", err
	}
	var before int64
	if pageToken != "" {
		raw, ok := decodeCursor(pageToken, messageCursorPrefix)
		id, perr := strconv.ParseInt(raw, 10, 64)
		if !ok || perr != nil || id <= 0 {
			return nil, "", &ValidationError{Field: "page_token", Reason: "is not a token this service issued"}
		}
		before = id
	}
	if err := s.requireMember(ctx, u, roomID); err != nil {
		return nil, "", err
	}
	msgs, err := s.store.ListMessages(ctx, roomID, before, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("chat: list messages: %w", err)
	}
	next := ""
	if len(msgs) > limit {
		msgs = msgs[:limit]
		next = encodeCursor(messageCursorPrefix, strconv.FormatInt(msgs[limit-1].ID, 10))
	}
	return msgs, next, nil
}

// Subscribe calls deliver with each message sent to the room from the moment it returns, until
// ctx ends or stop is called. Members only.
func (s *Service) Subscribe(ctx context.Context, u User, roomID string, deliver func(Message)) (stop func(), err error) {
	roomID, err = parseRoomID(roomID)
	if err != nil {
		return nil, err
	}
	if err := s.requireMember(ctx, u, roomID); err != nil {
		return nil, err
	}
	stop, err = s.feed.Subscribe(ctx, roomID, deliver)
	if err != nil {
		return nil, fmt.Errorf("chat: subscribe: %w", err)
	}
	return stop, nil
}

func (s *Service) requireMember(ctx context.Context, u User, roomID string) error {
	ok, err := s.store.IsMember(ctx, roomID, u.ID)
	if err != nil {
		return fmt.Errorf("chat: membership: %w", err)
	}
	if !ok {
		return ErrNotMember
	}
	return nil
}

// parseRoomID checks a room ID and returns it in its canonical form, a UUID in lower case, which
// the service uses everywhere: PostgreSQL compares UUIDs whatever their case, but NATS subjects
// and the gateway's hub keys do not.
func parseRoomID(id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return "", &ValidationError{Field: "room_id", Reason: "must be a room's ID (a UUID)"}
	}
	return u.String(), nil
}

// CanonicalRoomID returns a room ID in the one form the service stores, publishes and compares it
// in (lower case), or id unchanged when it is not a room ID, for the service to refuse.
func CanonicalRoomID(id string) string {
	if canonical, err := parseRoomID(id); err == nil {
		return canonical
	}
	return id
}

func pageLimit(size int) (int, error) {
	switch {
	case size == 0:
		return DefaultPageSize, nil
	case size < 0 || size > MaxPageSize:
		return 0, &ValidationError{Field: "page_size", Reason: fmt.Sprintf("must be 0 to %d", MaxPageSize)}
	default:
		return size, nil
	}
}

// Page tokens are opaque to clients: base64url of a versioned prefix and the last item's key.
func encodeCursor(prefix, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + key))
}

func decodeCursor(token, prefix string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !strings.HasPrefix(string(raw), prefix) {
		return "", false
	}
	return strings.TrimPrefix(string(raw), prefix), true
}
