//go:build integration

package store_test

import (
	"bytes"
	"cmp"
	"context"
	stdsql "database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/pgdb"
)

func TestCatalogContract(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	created, err := s.Catalog.Create(ctx, catalog.NewProduct{SKU: "MUG-1", Name: "Mug", Description: "A mug", PriceCents: 1200, Stock: 7})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == uuid.Nil || created.Version != 1 || created.Stock != 7 || created.CreatedAt.IsZero() {
		t.Fatalf("Create = %+v; want an ID, version 1, stock 7", created)
	}
	got, err := s.Catalog.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sameProduct(got, created) {
		t.Fatalf("Get = %+v, want %+v", got, created)
	}

	change := func(name string, stock int) catalog.Change {
		return catalog.Change{Name: name, Description: "changed", PriceCents: 1500, Stock: stock}
	}
	steps := []struct {
		name        string
		do          func() (catalog.Product, error)
		wantErr     error
		wantVersion int
		wantStock   int
	}{
		{"a taken SKU", func() (catalog.Product, error) {
			return s.Catalog.Create(ctx, catalog.NewProduct{SKU: "MUG-1", Name: "Other", PriceCents: 1})
		}, catalog.ErrSKUTaken, 0, 0},
		{"get unknown", func() (catalog.Product, error) { return s.Catalog.Get(ctx, uuid.New()) }, catalog.ErrNotFound, 0, 0},
		{"update at the current version", func() (catalog.Product, error) {
			return s.Catalog.Update(ctx, created.ID, catalog.Precondition{Version: 1, Stock: 7}, change("Big mug", 3))
		}, nil, 2, 3},
		{"update at a stale version", func() (catalog.Product, error) {
			return s.Catalog.Update(ctx, created.ID, catalog.Precondition{Version: 1, Stock: 7}, change("Stale", 9))
		}, catalog.ErrVersionMismatch, 0, 0},
		{"update at the current version with another stock", func() (catalog.Product, error) {
			return s.Catalog.Update(ctx, created.ID, catalog.Precondition{Version: 2, Stock: 7}, change("Stale stock", 9))
		}, catalog.ErrVersionMismatch, 0, 0},
		{"update at any version", func() (catalog.Product, error) {
			return s.Catalog.Update(ctx, created.ID, catalog.Precondition{}, change("Bigger mug", 0))
		}, nil, 3, 0},
		{"update unknown, any version", func() (catalog.Product, error) {
			return s.Catalog.Update(ctx, uuid.New(), catalog.Precondition{}, change("x", 1))
		}, catalog.ErrNotFound, 0, 0},
		{"update unknown, a version", func() (catalog.Product, error) {
			return s.Catalog.Update(ctx, uuid.New(), catalog.Precondition{Version: 4, Stock: 1}, change("x", 1))
		}, catalog.ErrNotFound, 0, 0},
		{"the stock never goes negative", func() (catalog.Product, error) {
			return s.Catalog.Update(ctx, created.ID, catalog.Precondition{}, change("x", -1))
		}, errAny, 0, 0},
		{"delete at a stale version", func() (catalog.Product, error) {
			return catalog.Product{}, s.Catalog.Delete(ctx, created.ID, catalog.Precondition{Version: 2, Stock: 0})
		}, catalog.ErrVersionMismatch, 0, 0},
		{"delete at the current version with another stock", func() (catalog.Product, error) {
			return catalog.Product{}, s.Catalog.Delete(ctx, created.ID, catalog.Precondition{Version: 3, Stock: 1})
		}, catalog.ErrVersionMismatch, 0, 0},
		{"delete unknown", func() (catalog.Product, error) {
			return catalog.Product{}, s.Catalog.Delete(ctx, uuid.New(), catalog.Precondition{})
		}, catalog.ErrNotFound, 0, 0},
		{"delete at the current version", func() (catalog.Product, error) {
			return catalog.Product{}, s.Catalog.Delete(ctx, created.ID, catalog.Precondition{Version: 3, Stock: 0})
		}, nil, 0, 0},
		{"get deleted", func() (catalog.Product, error) { return s.Catalog.Get(ctx, created.ID) }, catalog.ErrNotFound, 0, 0},
		{"the SKU of a deleted product is free", func() (catalog.Product, error) {
			return s.Catalog.Create(ctx, catalog.NewProduct{SKU: "MUG-1", Name: "Mug again", PriceCents: 1})
		}, nil, 1, 0},
	}
	for _, st := range steps {
		p, err := st.do()
		switch {
		case errors.Is(st.wantErr, errAny):
			if err == nil {
				t.Errorf("%s: err = nil, want an error", st.name)
			}
		case st.wantErr != nil:
			if !errors.Is(err, st.wantErr) {
				t.Errorf("%s: err = %v, want %v", st.name, err, st.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", st.name, err)
		case p.ID != uuid.Nil && (p.Version != st.wantVersion || p.Stock != st.wantStock):
			t.Errorf("%s: version %d stock %d, want %d and %d", st.name, p.Version, p.Stock, st.wantVersion, st.wantStock)
		}
	}
}

// errAny stands for "some error" in the steps above.
var errAny = errors.New("any error")

func sameProduct(a, b catalog.Product) bool {
	return a.ID == b.ID && a.SKU == b.SKU && a.Name == b.Name && a.Description == b.Description &&
		a.PriceCents == b.PriceCents && a.Stock == b.Stock && a.Version == b.Version &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestCatalogDeleteOrderedProduct(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	p := mustProduct(t, s, 100, 5)
	if _, _, err := s.Orders.Place(t.Context(), ordering.PlaceCommand{CustomerID: mustCustomer(t, s), Items: []ordering.Item{{ProductID: p.ID, Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Catalog.Delete(t.Context(), p.ID, catalog.Precondition{}); !errors.Is(err, catalog.ErrInUse) {
		t.Fatalf("Delete(ordered product) = %v, want ErrInUse", err)
	}
	if got := stockOf(t, s, p.ID); got != 4 {
		t.Fatalf("stock = %d after the refused delete, want 4", got)
	}
}

// An order takes stock between an admin's read and write (the review's lost update): the write,
// which sends the version and the stock it read, is refused, and the order's stock stays taken.
func TestCatalogWriteAfterAnOrderIsRefused(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	p := mustProduct(t, s, 100, 10)
	read, err := s.Catalog.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Orders.Place(ctx, ordering.PlaceCommand{CustomerID: mustCustomer(t, s), Items: []ordering.Item{{ProductID: p.ID, Quantity: 4}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Catalog.Update(ctx, p.ID, preconditionOf(read), catalog.Change{Name: "Thing", PriceCents: 100, Stock: 10}); !errors.Is(err, catalog.ErrVersionMismatch) {
		t.Errorf("Update with the stock read before the order = %v, want ErrVersionMismatch", err)
	}
	if got := stockOf(t, s, p.ID); got != 6 {
		t.Fatalf("stock = %d after the refused update, want 6", got)
	}
	if err := s.Catalog.Delete(ctx, p.ID, preconditionOf(read)); !errors.Is(err, catalog.ErrVersionMismatch) {
		t.Errorf("Delete with the stock read before the order = %v, want ErrVersionMismatch", err)
	}
	// Read again, the write goes through.
	again, err := s.Catalog.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	up, err := s.Catalog.Update(ctx, p.ID, preconditionOf(again), catalog.Change{Name: "Thing", PriceCents: 100, Stock: 10})
	if err != nil || up.Stock != 10 || up.Version != read.Version+1 {
		t.Fatalf("Update with the current version and stock = %+v, %v", up, err)
	}
}

// The same, with the order still in flight when the write starts: the write waits for the stock
// row, then compares the stock the order left, not the one before it.
func TestCatalogWriteWaitingOnAnOrderIsRefused(t *testing.T) {
	t.Parallel()
	s, _, dbURL := newStoreAt(t, 4)
	ctx := t.Context()
	p := mustProduct(t, s, 100, 10)
	db, err := pgdb.Open(ctx, pgdb.Options{URL: dbURL, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	order, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := order.ExecContext(ctx, "UPDATE stock SET quantity = quantity - 4 WHERE product_id = $1", p.ID); err != nil {
		_ = order.Rollback()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Catalog.Update(ctx, p.ID, preconditionOf(p), catalog.Change{Name: "Thing", PriceCents: 100, Stock: 10})
		done <- err
	}()
	waitForLockWaiters(t, db, 1)
	if err := order.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, catalog.ErrVersionMismatch) {
		t.Errorf("Update that waited on the order = %v, want ErrVersionMismatch", err)
	}
	if got := stockOf(t, s, p.ID); got != 6 {
		t.Fatalf("stock = %d, want 6", got)
	}
}

// waitForLockWaiters waits until n sessions of the database wait on a lock.
func waitForLockWaiters(t *testing.T, db *stdsql.DB, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for {
		var waiting int
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting)
		switch {
		case err != nil:
			t.Fatalf("waiting for %d sessions to wait on a lock: %v", n, err)
		case waiting >= n:
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// preconditionOf is the precondition of a write by someone who read p.
func preconditionOf(p catalog.Product) catalog.Precondition {
	return catalog.Precondition{Version: p.Version, Stock: p.Stock}
}

// PostgreSQL refuses text with a NUL character or invalid UTF-8 (where it is sent as it is; a
// search and an email are sent lower-cased, which makes invalid UTF-8 valid): the services
// refuse such text first, with field errors, and the in-memory fakes fail on it as the store does.
func TestStoreRefusesTextPostgresCannotHold(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	for _, text := range []string{"Mu\x00g", "Mu\xffg"} {
		if _, err := s.Catalog.Create(ctx, catalog.NewProduct{SKU: unique("TEXT"), Name: text, PriceCents: 1}); err == nil {
			t.Errorf("Create(name %q) stored it", text)
		}
	}
	if _, err := s.Catalog.List(ctx, catalog.ListQuery{Limit: 1, Search: "Mu\x00g"}); err == nil {
		t.Error("List(search with NUL) ran")
	}
	if _, err := s.Accounts.ByEmail(ctx, "ada@example.com\x00"); err == nil || errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("ByEmail(with NUL) = %v, want PostgreSQL's error", err)
	}
}

// Writers that read the same version race; the version check in the UPDATE lets one win.
func TestCatalogConcurrentUpdatesOneWins(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	p := mustProduct(t, s, 100, 5)
	const writers = 10
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = s.Catalog.Update(t.Context(), p.ID, preconditionOf(p), catalog.Change{Name: "Writer", PriceCents: int64(i), Stock: i})
		})
	}
	wg.Wait()
	var won, lost int
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, catalog.ErrVersionMismatch):
			lost++
		default:
			t.Errorf("Update: %v", err)
		}
	}
	got, err := s.Catalog.Get(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || lost != writers-1 || got.Version != 2 {
		t.Fatalf("%d won, %d lost, version %d; want 1, %d, 2", won, lost, got.Version, writers-1)
	}
}

// seedList makes products whose sort keys repeat, so that only the id breaks ties: prices in
// three values, names in four, creation times in five.
func seedList(t *testing.T) (catalog.Repository, []catalog.Product) {
	t.Helper()
	s, client := newStore(t)
	names := []string{"delta", "alpha", "charlie", "bravo"}
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var all []catalog.Product
	for i := range 17 {
		p, err := s.Catalog.Create(t.Context(), catalog.NewProduct{
			SKU: unique("LIST"), Name: names[i%len(names)], PriceCents: int64(i%3) * 100, Stock: i % 2,
		})
		if err != nil {
			t.Fatal(err)
		}
		// created_at is immutable through Ent; set a repeating value directly.
		at := base.Add(time.Duration(i%5) * time.Minute)
		if _, err := client.ExecContext(t.Context(), "UPDATE products SET created_at = $1 WHERE id = $2", at, p.ID); err != nil {
			t.Fatal(err)
		}
		p.CreatedAt = at
		all = append(all, p)
	}
	return s.Catalog, all
}

func TestCatalogListWalksEveryPage(t *testing.T) {
	t.Parallel()
	repo, all := seedList(t)
	byID := func(a, b catalog.Product) int { return bytes.Compare(a.ID[:], b.ID[:]) }
	keys := map[catalog.SortField]func(a, b catalog.Product) int{
		catalog.SortCreated: func(a, b catalog.Product) int { return a.CreatedAt.Compare(b.CreatedAt) },
		catalog.SortPrice:   func(a, b catalog.Product) int { return cmp.Compare(a.PriceCents, b.PriceCents) },
		catalog.SortName:    func(a, b catalog.Product) int { return cmp.Compare(a.Name, b.Name) },
	}
	for _, sort := range []catalog.SortField{catalog.SortCreated, catalog.SortPrice, catalog.SortName} {
		for _, desc := range []bool{false, true} {
			for _, limit := range []int{1, 4, 17, 50} {
				want := slices.Clone(all)
				slices.SortFunc(want, func(a, b catalog.Product) int {
					c := cmp.Or(keys[sort](a, b), byID(a, b))
					if desc {
						return -c
					}
					return c
				})
				got := walk(t, repo, catalog.ListQuery{Sort: sort, Desc: desc, Limit: limit})
				if !slices.Equal(ids(got), ids(want)) {
					t.Errorf("sort %s desc %v limit %d: walked\n%v\nwant\n%v", sort, desc, limit, names(got), names(want))
				}
			}
		}
	}
}

// walk lists every page of q, failing on a page larger than the limit or a cursor loop.
func walk(t *testing.T, repo catalog.Repository, q catalog.ListQuery) []catalog.Product {
	t.Helper()
	var out []catalog.Product
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("more than 100 pages: the cursor does not advance")
		}
		page, err := repo.List(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > q.Limit {
			t.Fatalf("page of %d items, limit %d", len(page.Items), q.Limit)
		}
		out = append(out, page.Items...)
		if page.Next == nil {
			return out
		}
		if len(page.Items) == 0 {
			t.Fatal("an empty page with a next cursor")
		}
		if page.Next.Sort != q.Sort || page.Next.Desc != q.Desc || page.Next.ID != page.Items[len(page.Items)-1].ID {
			t.Fatalf("next cursor %+v does not point at the last item of a %s/%v list", page.Next, q.Sort, q.Desc)
		}
		q.After = page.Next
	}
}

func ids(ps []catalog.Product) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func names(ps []catalog.Product) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Name+"/"+p.ID.String()[:4])
	}
	return out
}

func TestCatalogListFilters(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	for _, p := range []catalog.NewProduct{
		{SKU: "MUG-RED", Name: "Red Mug", PriceCents: 500, Stock: 3},
		{SKU: "MUG-BLUE", Name: "Blue mug", PriceCents: 700, Stock: 0},
		{SKU: "TEE-50", Name: "T-shirt 50% off", PriceCents: 1000, Stock: 1},
		{SKU: "TEE_XL", Name: "T-shirt XL", PriceCents: 2000, Stock: 2},
		{SKU: "CAP-1", Name: `Back\slash cap`, PriceCents: 300, Stock: 0},
	} {
		if _, err := s.Catalog.Create(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	price := func(v int64) *int64 { return &v }
	tests := []struct {
		name string
		q    catalog.ListQuery
		want []string // SKUs, by price
	}{
		{"no filter", catalog.ListQuery{}, []string{"CAP-1", "MUG-RED", "MUG-BLUE", "TEE-50", "TEE_XL"}},
		{"min price, inclusive", catalog.ListQuery{MinPriceCents: price(700)}, []string{"MUG-BLUE", "TEE-50", "TEE_XL"}},
		{"max price, inclusive", catalog.ListQuery{MaxPriceCents: price(700)}, []string{"CAP-1", "MUG-RED", "MUG-BLUE"}},
		{"price range", catalog.ListQuery{MinPriceCents: price(500), MaxPriceCents: price(1000)}, []string{"MUG-RED", "MUG-BLUE", "TEE-50"}},
		{"name, any case", catalog.ListQuery{Search: "MUG"}, []string{"MUG-RED", "MUG-BLUE"}},
		{"SKU substring, any case", catalog.ListQuery{Search: "ee-5"}, []string{"TEE-50"}},
		{"% is a character, not a wildcard", catalog.ListQuery{Search: "0%"}, []string{"TEE-50"}},
		{"_ is a character, not a wildcard", catalog.ListQuery{Search: "E_X"}, []string{"TEE_XL"}},
		{`\ is a character, not an escape`, catalog.ListQuery{Search: `k\s`}, []string{"CAP-1"}},
		{"no match", catalog.ListQuery{Search: "%%"}, nil},
		{"in stock", catalog.ListQuery{InStock: true}, []string{"MUG-RED", "TEE-50", "TEE_XL"}},
		{"all together", catalog.ListQuery{Search: "t-shirt", InStock: true, MaxPriceCents: price(1500)}, []string{"TEE-50"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.q.Sort, tt.q.Limit = catalog.SortPrice, 2
			var got []string
			for _, p := range walk(t, s.Catalog, tt.q) {
				got = append(got, p.SKU)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SKUs = %v, want %v", got, tt.want)
			}
		})
	}
}

// Orders and changes to the same product at once: stock row first, product row second in every
// transaction, so none deadlocks; a delete that comes after an order is refused.
func TestCatalogWritesRacingOrders(t *testing.T) {
	t.Parallel()
	const buyers = 4
	s, _, dbURL := newStoreAt(t, buyers+4)
	ctx := t.Context()
	buyer := mustCustomer(t, s)
	for round := range 6 {
		p := mustProduct(t, s, 100, 10)
		release := blockStock(t, dbURL, p.ID)
		var wg sync.WaitGroup
		for range buyers {
			wg.Go(func() {
				_, _, err := s.Orders.Place(ctx, ordering.PlaceCommand{CustomerID: buyer, Items: []ordering.Item{{ProductID: p.ID, Quantity: 1}}})
				var unknown *ordering.UnknownProductError
				if err != nil && !errors.As(err, &unknown) {
					t.Errorf("round %d: Place: %v", round, err)
				}
			})
		}
		wg.Go(func() {
			_, err := s.Catalog.Update(ctx, p.ID, catalog.Precondition{}, catalog.Change{Name: "Changed", PriceCents: 200, Stock: 50})
			if err != nil && !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("round %d: Update: %v", round, err)
			}
		})
		wg.Go(func() {
			if err := s.Catalog.Delete(ctx, p.ID, catalog.Precondition{}); err != nil && !errors.Is(err, catalog.ErrInUse) {
				t.Errorf("round %d: Delete: %v", round, err)
			}
		})
		release(buyers + 2)
		wg.Wait()
	}
}
