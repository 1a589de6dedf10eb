// Package accounts is the shop's customers, their roles and how they sign in, and the port the
// storage adapter implements. It imports neither Echo nor Ent.
package accounts

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Role is what a signed-in customer may do.
type Role string

// The roles: customers buy, admins also manage the catalog.
const (
	RoleCustomer Role = "customer"
	RoleAdmin    Role = "admin"
)

// Customer is an account. PasswordHash is an encoded argon2id hash, never a password.
type Customer struct {
	ID           uuid.UUID
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	CreatedAt    time.Time
}

// Errors the repository returns, wrapped or not.
var (
	ErrNotFound   = errors.New("customer not found")
	ErrEmailTaken = errors.New("an account with this email already exists")
)

// Repository stores customers. Emails are stored and looked up in lower case.
type Repository interface {
	// Create stores c; a zero c.ID is assigned. It returns the stored customer.
	Create(ctx context.Context, c Customer) (Customer, error)
	ByEmail(ctx context.Context, email string) (Customer, error)
	ByID(ctx context.Context, id uuid.UUID) (Customer, error)
	// SetRole changes the role of the customer with this email.
	SetRole(ctx context.Context, email string, role Role) error
}
