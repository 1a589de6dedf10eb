// Package chat is the chat service's domain: rooms, membership, and messages with a history
// paged newest first and a live feed. Storage (PostgreSQL) and the live feed (NATS) plug in
// through the interfaces below; the transport (gRPC) calls Service.
package chat

import (
	"context"
	"errors"
	"time"
)

// Room is a chat room.
type Room struct {
	ID        string
	Name      string
	CreatedBy string
	CreatedAt time.Time
}

// Message is a message of a room. IDs increase in the order the store accepted the messages.
type Message struct {
	ID        int64
	RoomID    string
	UserID    string
	Username  string
	Body      string
	CreatedAt time.Time
}

// User is who makes a call: the subject and name of a verified access token.
type User struct {
	ID   string
	Name string
}

// Store keeps rooms, members and messages.
type Store interface {
	// CreateRoom stores the room with its creator as first member.
	CreateRoom(ctx context.Context, r Room) error
	// AddMember makes the user a member; ErrNotFound if the room does not exist. Adding a
	// member twice is not an error.
	AddMember(ctx context.Context, roomID, userID string, now time.Time) error
	// RemoveMember ends a membership; a missing one is not an error.
	RemoveMember(ctx context.Context, roomID, userID string) error
	// IsMember reports whether the user is a member; ErrNotFound if the room does not exist.
	IsMember(ctx context.Context, roomID, userID string) (bool, error)
	// ListRooms returns up to limit rooms with IDs after afterID (all when empty), by ID.
	ListRooms(ctx context.Context, afterID string, limit int) ([]Room, error)
	// AddMessage stores m and returns it with its ID.
	AddMessage(ctx context.Context, m Message) (Message, error)
	// ListMessages returns up to limit messages of the room with IDs below beforeID (all when
	// 0), newest first.
	ListMessages(ctx context.Context, roomID string, beforeID int64, limit int) ([]Message, error)
}

// Feed carries live messages to every replica: the chat service publishes, streams and
// gateways subscribe.
type Feed interface {
	Publish(ctx context.Context, m Message) error
	// Subscribe calls deliver with each message published to the room until ctx ends or the
	// returned stop is called.
	Subscribe(ctx context.Context, roomID string, deliver func(Message)) (stop func(), err error)
}

var (
	// ErrNotFound means the room does not exist.
	ErrNotFound = errors.New("room not found")
	// ErrNotMember means the caller is not a member of the room.
	ErrNotMember = errors.New("not a member of the room")
)

// ValidationError is a request field that breaks a rule.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }
