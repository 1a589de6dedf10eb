// Package authtest has an in-memory auth.Store for tests of the layers above it, and the
// contract every auth.Store meets (StoreContract), which the PostgreSQL store runs too: the
// memory store is only trusted because it passes the same tests.
package authtest

import (
	"bytes"
	"context"
	"sync"
	"time"

	"example.com/gopher-template/chat/internal/auth"
)

// MemoryStore is an auth.Store in memory.
type MemoryStore struct {
	mu     sync.Mutex
	users  map[string]auth.User // by ID
	tokens []auth.RefreshToken
}

var _ auth.Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{users: map[string]auth.User{}}
}

func (m *MemoryStore) CreateUser(_ context.Context, u auth.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, other := range m.users {
		if other.Username == u.Username {
			return auth.ErrUsernameTaken
		}
	}
	m.users[u.ID] = u
	return nil
}

func (m *MemoryStore) UserByUsername(_ context.Context, username string) (auth.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.users {
		if u.Username == username {
			return u, nil
		}
	}
	return auth.User{}, auth.ErrNotFound
}

func (m *MemoryStore) UserByID(_ context.Context, id string) (auth.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return auth.User{}, auth.ErrNotFound
	}
	return u, nil
}

func (m *MemoryStore) CreateRefreshToken(_ context.Context, t auth.RefreshToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = append(m.tokens, t)
	return nil
}

func (m *MemoryStore) UseRefreshToken(_ context.Context, hash []byte, now time.Time) (auth.RefreshToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.use(hash, now)
}

// RotateRefreshToken marks the token used and stores its successor under one hold of the lock,
// which RevokeFamily takes too: it runs wholly before or wholly after the rotation.
func (m *MemoryStore) RotateRefreshToken(_ context.Context, hash []byte, now time.Time, next auth.RefreshToken) (auth.RefreshToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, err := m.use(hash, now)
	if err != nil || !old.Usable(now) {
		return old, err
	}
	next.FamilyID, next.UserID = old.FamilyID, old.UserID
	m.tokens = append(m.tokens, next)
	return old, nil
}

// use is UseRefreshToken; the caller holds m.mu.
func (m *MemoryStore) use(hash []byte, now time.Time) (auth.RefreshToken, error) {
	for i, t := range m.tokens {
		if bytes.Equal(t.Hash, hash) {
			if t.UsedAt.IsZero() {
				m.tokens[i].UsedAt = now
			}
			return t, nil
		}
	}
	return auth.RefreshToken{}, auth.ErrNotFound
}

func (m *MemoryStore) RevokeFamily(_ context.Context, familyID string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, t := range m.tokens {
		if t.FamilyID == familyID && t.RevokedAt.IsZero() {
			m.tokens[i].RevokedAt = now
		}
	}
	return nil
}
