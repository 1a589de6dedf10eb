package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/ent/customer"
	"example.com/gopher-template/ecommerce/internal/accounts"
)

// Accounts is accounts.Repository. Emails are stored and matched in lower case; the unique
// index on them settles two sign-ups with one address.
type Accounts struct{ client *ent.Client }

var _ accounts.Repository = (*Accounts)(nil)

// Create stores the customer; a zero ID is assigned.
func (a *Accounts) Create(ctx context.Context, c accounts.Customer) (accounts.Customer, error) {
	email := strings.ToLower(c.Email)
	create := a.client.Customer.Create().
		SetEmail(email).
		SetName(c.Name).
		SetPasswordHash(c.PasswordHash).
		SetCreatedAt(now())
	if c.ID != uuid.Nil {
		create.SetID(c.ID)
	}
	if c.Role != "" {
		create.SetRole(customer.Role(c.Role))
	}
	row, err := create.Save(ctx)
	if err != nil {
		if isUniqueViolation(err, customersEmailKey) {
			err = accounts.ErrEmailTaken
		}
		return accounts.Customer{}, fmt.Errorf("create customer %q: %w", email, err)
	}
	return customerFromEnt(row), nil
}

// ByEmail returns the customer with this email, in any case.
func (a *Accounts) ByEmail(ctx context.Context, email string) (accounts.Customer, error) {
	email = strings.ToLower(email)
	row, err := a.client.Customer.Query().Where(customer.Email(email)).Only(ctx)
	if err != nil {
		return accounts.Customer{}, fmt.Errorf("customer %q: %w", email, notFound(err, accounts.ErrNotFound))
	}
	return customerFromEnt(row), nil
}

// ByID returns the customer with this ID.
func (a *Accounts) ByID(ctx context.Context, id uuid.UUID) (accounts.Customer, error) {
	row, err := a.client.Customer.Get(ctx, id)
	if err != nil {
		return accounts.Customer{}, fmt.Errorf("customer %s: %w", id, notFound(err, accounts.ErrNotFound))
	}
	return customerFromEnt(row), nil
}

// SetRole changes the role of the customer with this email.
func (a *Accounts) SetRole(ctx context.Context, email string, role accounts.Role) error {
	email = strings.ToLower(email)
	n, err := a.client.Customer.Update().Where(customer.Email(email)).SetRole(customer.Role(role)).Save(ctx)
	switch {
	case err != nil:
	case n == 0:
		err = accounts.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set role of %q: %w", email, err)
	}
	return nil
}

func customerFromEnt(c *ent.Customer) accounts.Customer {
	return accounts.Customer{
		ID:           c.ID,
		Email:        c.Email,
		Name:         c.Name,
		Role:         accounts.Role(c.Role),
		PasswordHash: c.PasswordHash,
		CreatedAt:    c.CreatedAt,
	}
}
