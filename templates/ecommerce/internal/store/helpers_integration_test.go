//go:build integration

package store_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/pgdb"
	"example.com/gopher-template/ecommerce/internal/store"
	"example.com/gopher-template/ecommerce/internal/testenv"
)

// newStore returns the adapters on a fresh, migrated database, and the Ent client under them
// for the checks that look at the tables directly.
func newStore(t *testing.T) (*store.Store, *ent.Client) {
	t.Helper()
	client := testenv.Client(t)
	return store.New(client), client
}

// newStoreAt is newStore with a pool of maxConns connections, and the database's URL.
func newStoreAt(t *testing.T, maxConns int) (*store.Store, *ent.Client, string) {
	t.Helper()
	dbURL := testenv.DatabaseURL(t)
	client := pgdb.NewClient(testenv.DBAt(t, dbURL, maxConns))
	return store.New(client), client, dbURL
}

func unique(prefix string) string { return prefix + "-" + strings.ToLower(rand.Text()[:8]) }

func mustCustomer(t *testing.T, s *store.Store) uuid.UUID {
	t.Helper()
	c, err := s.Accounts.Create(t.Context(), accounts.Customer{
		Email: unique("buyer") + "@example.com", Name: "Buyer", Role: accounts.RoleCustomer, PasswordHash: "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func mustProduct(t *testing.T, s *store.Store, priceCents int64, stock int) catalog.Product {
	t.Helper()
	p, err := s.Catalog.Create(t.Context(), catalog.NewProduct{SKU: unique("SKU"), Name: "Thing", PriceCents: priceCents, Stock: stock})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func stockOf(t *testing.T, s *store.Store, id uuid.UUID) int {
	t.Helper()
	p, err := s.Catalog.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Stock
}

// blockStock locks the product's stock row in a transaction on a connection of its own and
// returns a function that waits until n other sessions of the database are waiting on a lock,
// then releases the row: the requests started meanwhile contend all at once instead of one
// after the other. The pool under test must have room for those n sessions.
func blockStock(t *testing.T, dbURL string, productID uuid.UUID) (releaseWhenWaiting func(n int)) {
	t.Helper()
	ctx := t.Context()
	db, err := pgdb.Open(ctx, pgdb.Options{URL: dbURL, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT quantity FROM stock WHERE product_id = $1 FOR UPDATE", productID); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	return func(n int) {
		t.Helper()
		defer func() {
			if err := tx.Commit(); err != nil {
				t.Error(err)
			}
		}()
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		for {
			var waiting int
			err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting)
			switch {
			case err != nil:
				t.Errorf("waiting for %d sessions to wait on a lock: %v", n, err)
				return
			case waiting >= n:
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
