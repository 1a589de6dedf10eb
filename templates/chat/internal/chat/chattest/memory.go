// Package chattest has an in-memory chat.Store and chat.Feed for tests of the layers above, and
// StoreContract, which the PostgreSQL store passes too.
package chattest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"example.com/gopher-template/chat/internal/chat"
)

// MemoryStore is a chat.Store in memory.
type MemoryStore struct {
	mu       sync.Mutex
	rooms    []chat.Room
	members  map[string]map[string]bool // room → user → member
	messages []chat.Message
	nextID   int64
}

var _ chat.Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{members: map[string]map[string]bool{}} }

func (m *MemoryStore) CreateRoom(_ context.Context, r chat.Room) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rooms = append(m.rooms, r)
	m.members[r.ID] = map[string]bool{r.CreatedBy: true}
	return nil
}

func (m *MemoryStore) AddMember(_ context.Context, roomID, userID string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	members, ok := m.members[roomID]
	if !ok {
		return chat.ErrNotFound
	}
	members[userID] = true
	return nil
}

func (m *MemoryStore) RemoveMember(_ context.Context, roomID, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.members[roomID], userID)
	return nil
}

func (m *MemoryStore) IsMember(_ context.Context, roomID, userID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	members, ok := m.members[roomID]
	if !ok {
		return false, chat.ErrNotFound
	}
	return members[userID], nil
}

func (m *MemoryStore) ListRooms(_ context.Context, afterID string, limit int) ([]chat.Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rooms := slices.Clone(m.rooms)
	slices.SortFunc(rooms, func(a, b chat.Room) int { return strings.Compare(a.ID, b.ID) })
	var out []chat.Room
	for _, r := range rooms {
		if r.ID > afterID && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *MemoryStore) AddMessage(_ context.Context, msg chat.Message) (chat.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.members[msg.RoomID]; !ok {
		return chat.Message{}, chat.ErrNotFound
	}
	m.nextID++
	msg.ID = m.nextID
	m.messages = append(m.messages, msg)
	return msg, nil
}

func (m *MemoryStore) ListMessages(_ context.Context, roomID string, beforeID int64, limit int) ([]chat.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []chat.Message
	for i := len(m.messages) - 1; i >= 0 && len(out) < limit; i-- {
		msg := m.messages[i]
		if msg.RoomID == roomID && (beforeID == 0 || msg.ID < beforeID) {
			out = append(out, msg)
		}
	}
	return out, nil
}

// MemoryFeed is a chat.Feed within one process.
type MemoryFeed struct {
	mu   sync.Mutex
	subs map[string]map[int]func(chat.Message)
	next int
}

var _ chat.Feed = (*MemoryFeed)(nil)

// NewMemoryFeed returns a feed with no subscribers.
func NewMemoryFeed() *MemoryFeed { return &MemoryFeed{subs: map[string]map[int]func(chat.Message){}} }

func (f *MemoryFeed) Publish(_ context.Context, m chat.Message) error {
	f.mu.Lock()
	subs := make([]func(chat.Message), 0, len(f.subs[m.RoomID]))
	for _, fn := range f.subs[m.RoomID] {
		subs = append(subs, fn)
	}
	f.mu.Unlock()
	for _, fn := range subs {
		fn(m)
	}
	return nil
}

func (f *MemoryFeed) Subscribe(ctx context.Context, roomID string, deliver func(chat.Message)) (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs[roomID] == nil {
		f.subs[roomID] = map[int]func(chat.Message){}
	}
	f.next++
	id := f.next
	f.subs[roomID][id] = deliver
	unsubscribe := func() {
		f.mu.Lock()
		delete(f.subs[roomID], id)
		f.mu.Unlock()
	}
	stopAfter := context.AfterFunc(ctx, unsubscribe)
	return func() {
		stopAfter()
		unsubscribe()
	}, nil
}

// Subscribers returns how many subscriptions the room has.
func (f *MemoryFeed) Subscribers(roomID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs[roomID])
}
