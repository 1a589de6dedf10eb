// Package store is the PostgreSQL adapter of every port the shop declares (catalog, accounts,
// ordering, outbox, tasks), written with Ent. What must be atomic is: one transaction per
// use case, guarded UPDATEs instead of read-modify-write, and unique indexes that settle races.
package store

import (
	"context"
	"fmt"
	"time"

	"example.com/gopher-template/ecommerce/ent"
)

// Store holds one adapter per port, all on one Ent client.
type Store struct {
	Catalog  *Catalog
	Accounts *Accounts
	Orders   *Orders
	Outbox   *Outbox
	Tasks    *Tasks
}

// New returns the adapters on client (pgdb.NewClient). Closing the client is the caller's.
func New(client *ent.Client) *Store {
	return &Store{
		Catalog:  &Catalog{client: client},
		Accounts: &Accounts{client: client},
		Orders:   &Orders{client: client},
		Outbox:   &Outbox{client: client},
		Tasks:    &Tasks{client: client},
	}
}

// inTx runs fn in a transaction, committed when fn returns nil and rolled back otherwise.
func inTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// now is the time the store writes: PostgreSQL keeps microseconds, so a value returned before
// a round trip equals the one read back later.
func now() time.Time { return time.Now().Truncate(time.Microsecond) }
