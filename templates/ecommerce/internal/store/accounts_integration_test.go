//go:build integration

package store_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/accounts"
)

func TestAccountsContract(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	ann, err := s.Accounts.Create(ctx, accounts.Customer{Email: "Ann@Example.COM", Name: "Ann", PasswordHash: "hash"})
	if err != nil {
		t.Fatal(err)
	}
	if ann.ID == uuid.Nil || ann.Email != "ann@example.com" || ann.Role != accounts.RoleCustomer || ann.CreatedAt.IsZero() {
		t.Fatalf("Create = %+v; want an ID, the email in lower case, role customer and a creation time", ann)
	}

	steps := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{"the same email in another case is taken", func() error {
			_, err := s.Accounts.Create(ctx, accounts.Customer{Email: "ANN@example.com", Name: "Other", PasswordHash: "h"})
			return err
		}, accounts.ErrEmailTaken},
		{"by email, in any case", func() error {
			got, err := s.Accounts.ByEmail(ctx, "aNN@EXAMPLE.com")
			if err == nil && (got.ID != ann.ID || got.PasswordHash != "hash" || !got.CreatedAt.Equal(ann.CreatedAt)) {
				t.Errorf("ByEmail = %+v, want %+v", got, ann)
			}
			return err
		}, nil},
		{"by ID", func() error {
			got, err := s.Accounts.ByID(ctx, ann.ID)
			if err == nil && got.Email != ann.Email {
				t.Errorf("ByID = %+v, want %+v", got, ann)
			}
			return err
		}, nil},
		{"unknown email", func() error { _, err := s.Accounts.ByEmail(ctx, "nobody@example.com"); return err }, accounts.ErrNotFound},
		{"unknown ID", func() error { _, err := s.Accounts.ByID(ctx, uuid.New()); return err }, accounts.ErrNotFound},
		{"promote, in any case", func() error {
			if err := s.Accounts.SetRole(ctx, "ANN@example.com", accounts.RoleAdmin); err != nil {
				return err
			}
			got, err := s.Accounts.ByID(ctx, ann.ID)
			if err == nil && got.Role != accounts.RoleAdmin {
				t.Errorf("role after SetRole = %q, want admin", got.Role)
			}
			return err
		}, nil},
		{"promote an unknown email", func() error { return s.Accounts.SetRole(ctx, "nobody@example.com", accounts.RoleAdmin) }, accounts.ErrNotFound},
		{"create with a given ID and role", func() error {
			id := uuid.New()
			got, err := s.Accounts.Create(ctx, accounts.Customer{ID: id, Email: "root@example.com", Name: "Root", Role: accounts.RoleAdmin, PasswordHash: "h"})
			if err == nil && (got.ID != id || got.Role != accounts.RoleAdmin) {
				t.Errorf("Create = %+v, want ID %s and role admin", got, id)
			}
			return err
		}, nil},
	}
	for _, st := range steps {
		err := st.do()
		if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
			t.Errorf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
	}
}
