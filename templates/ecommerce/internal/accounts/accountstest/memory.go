// Package accountstest is an in-memory accounts.Repository for tests of the layers above
// storage. It behaves as the PostgreSQL adapter must: emails are unique and kept in lower case,
// a zero ID is assigned, unknown customers are accounts.ErrNotFound, and text PostgreSQL refuses
// (a NUL byte, invalid UTF-8) is an error, as the store's is.
package accountstest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/accounts"
)

// Memory is an in-memory accounts.Repository. The zero value is not usable: call NewMemory.
type Memory struct {
	mu      sync.Mutex
	byID    map[uuid.UUID]accounts.Customer
	byEmail map[string]uuid.UUID
}

var _ accounts.Repository = (*Memory)(nil)

// NewMemory returns a repository without customers.
func NewMemory() *Memory {
	return &Memory{byID: map[uuid.UUID]accounts.Customer{}, byEmail: map[string]uuid.UUID{}}
}

// Create stores c, assigning an ID when it has none; accounts.ErrEmailTaken if the email (in any
// case) has an account.
func (m *Memory) Create(ctx context.Context, c accounts.Customer) (accounts.Customer, error) {
	if err := ctx.Err(); err != nil {
		return accounts.Customer{}, err
	}
	if err := storable(strings.ToLower(c.Email), c.Name, c.PasswordHash); err != nil {
		return accounts.Customer{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c.Email = strings.ToLower(c.Email)
	if _, taken := m.byEmail[c.Email]; taken {
		return accounts.Customer{}, accounts.ErrEmailTaken
	}
	if c.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return accounts.Customer{}, err
		}
		c.ID = id
	}
	if c.Role == "" {
		c.Role = accounts.RoleCustomer
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	c.CreatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond)
	m.byID[c.ID] = c
	m.byEmail[c.Email] = c.ID
	return c, nil
}

// ByEmail returns the customer with this email (in any case).
func (m *Memory) ByEmail(ctx context.Context, email string) (accounts.Customer, error) {
	if err := ctx.Err(); err != nil {
		return accounts.Customer{}, err
	}
	if err := storable(strings.ToLower(email)); err != nil {
		return accounts.Customer{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.byEmail[strings.ToLower(email)]
	if !ok {
		return accounts.Customer{}, accounts.ErrNotFound
	}
	return m.byID[id], nil
}

// ByID returns the customer with this ID.
func (m *Memory) ByID(ctx context.Context, id uuid.UUID) (accounts.Customer, error) {
	if err := ctx.Err(); err != nil {
		return accounts.Customer{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.byID[id]
	if !ok {
		return accounts.Customer{}, accounts.ErrNotFound
	}
	return c, nil
}

// SetRole changes the role of the customer with this email.
func (m *Memory) SetRole(ctx context.Context, email string, role accounts.Role) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := storable(strings.ToLower(email)); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.byEmail[strings.ToLower(email)]
	if !ok {
		return accounts.ErrNotFound
	}
	c := m.byID[id]
	c.Role = role
	m.byID[id] = c
	return nil
}

// storable fails as PostgreSQL does on text it cannot hold: a NUL byte or invalid UTF-8 (SQLSTATE
// 22021). Emails are checked lower-cased, as the store sends them (strings.ToLower makes invalid
// UTF-8 valid). The service must refuse such text before it gets here.
func storable(texts ...string) error {
	for _, s := range texts {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return fmt.Errorf("accountstest: invalid byte sequence for encoding \"UTF8\" in %q (SQLSTATE 22021)", s)
		}
	}
	return nil
}
