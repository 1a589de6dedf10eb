package ordering_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/catalog/catalogtest"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/ordering/orderingtest"
)

var key = []byte("0123456789abcdef")

type fixture struct {
	svc      *ordering.Service
	products *catalogtest.Memory
	orders   *orderingtest.Memory
	rec      *counts
}

// counts is a Recorder that keeps its counts.
type counts struct {
	mu     sync.Mutex
	events []string
}

func (c *counts) add(e string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *counts) OrderPlaced()                { c.add("placed") }
func (c *counts) OrderReplayed()              { c.add("replayed") }
func (c *counts) OrderRejected(reason string) { c.add(reason) }

func (c *counts) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

func newFixture(t *testing.T, threshold int) fixture {
	t.Helper()
	products := catalogtest.NewMemory(nil)
	orders := orderingtest.NewMemory(products, nil)
	rec := &counts{}
	svc, err := ordering.NewService(ordering.Options{Repo: orders, CursorKey: key, LowStockThreshold: threshold, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, products: products, orders: orders, rec: rec}
}

func (f fixture) product(t *testing.T, sku string, price int64, stock int) catalog.Product {
	t.Helper()
	p, err := f.products.Create(t.Context(), catalog.NewProduct{SKU: sku, Name: sku, PriceCents: price, Stock: stock})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fieldsOf(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*ordering.FieldError); ok { //nolint:errorlint // walking the tree by hand
			out = append(out, fe.Field)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok { //nolint:errorlint // walking the tree by hand
			for _, e := range j.Unwrap() {
				walk(e)
			}
		} else if e := errors.Unwrap(err); e != nil {
			walk(e)
		}
	}
	walk(err)
	return out
}

func TestPlaceValidates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	a, b := uuid.New(), uuid.New()
	many := make([]ordering.Item, 51)
	for i := range many {
		many[i] = ordering.Item{ProductID: uuid.New(), Quantity: 1}
	}
	tests := []struct {
		name  string
		items []ordering.Item
		key   string
		want  []string
	}{
		{"no items", nil, "", []string{"items"}},
		{"51 items", many, "", []string{"items"}},
		{"duplicate", []ordering.Item{{a, 1}, {b, 1}, {a, 2}}, "", []string{"items[2].product_id"}},
		{"nil product", []ordering.Item{{uuid.Nil, 1}}, "", []string{"items[0].product_id"}},
		{"quantities", []ordering.Item{{a, 0}, {b, 1001}}, "", []string{"items[0].quantity", "items[1].quantity"}},
		{"key with a space", []ordering.Item{{a, 1}}, "a b", []string{"Idempotency-Key"}},
		{"key too long", []ordering.Item{{a, 1}}, strings.Repeat("k", 256), []string{"Idempotency-Key"}},
		{"key not ASCII", []ordering.Item{{a, 1}}, "clé", []string{"Idempotency-Key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := f.svc.Place(t.Context(), ordering.PlaceRequest{CustomerID: uuid.New(), Items: tt.items, IdempotencyKey: tt.key})
			if got := fieldsOf(err); !slices.Equal(got, tt.want) {
				t.Errorf("Place = %v (fields %v), want %v", err, got, tt.want)
			}
		})
	}
}

func TestRequestHash(t *testing.T) {
	t.Parallel()
	a, b := uuid.New(), uuid.New()
	base := ordering.RequestHash([]ordering.Item{{a, 1}, {b, 2}})
	if got := ordering.RequestHash([]ordering.Item{{b, 2}, {a, 1}}); got != base {
		t.Error("the order of the items changes the hash")
	}
	for name, items := range map[string][]ordering.Item{
		"other quantity": {{a, 2}, {b, 2}},
		"fewer items":    {{a, 1}},
		"other product":  {{a, 1}, {uuid.New(), 2}},
		// Without the separators, "1" + "2…" and "12" + "…" could collide.
		"quantities swapped": {{a, 2}, {b, 1}},
	} {
		if ordering.RequestHash(items) == base {
			t.Errorf("%s: same hash", name)
		}
	}
	if len(base) != 64 {
		t.Errorf("hash %q is not hex SHA-256", base)
	}
}

func TestPlace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 5)
	ctx := t.Context()
	alice := uuid.New()
	mug := f.product(t, "MUG", 1250, 6)
	cup := f.product(t, "CUP", 300, 1)

	o, replayed, err := f.svc.Place(ctx, ordering.PlaceRequest{CustomerID: alice, Items: []ordering.Item{{mug.ID, 2}, {cup.ID, 1}}, IdempotencyKey: "k1"})
	if err != nil || replayed || o.TotalCents != 2*1250+300 || o.Status != ordering.StatusPlaced {
		t.Fatalf("Place = %+v, %v, %v", o, replayed, err)
	}
	again, replayed, err := f.svc.Place(ctx, ordering.PlaceRequest{CustomerID: alice, Items: []ordering.Item{{cup.ID, 1}, {mug.ID, 2}}, IdempotencyKey: "k1"})
	if err != nil || !replayed || again.ID != o.ID {
		t.Errorf("replay = %+v, %v, %v; want the first order, replayed", again, replayed, err)
	}
	if _, _, err := f.svc.Place(ctx, ordering.PlaceRequest{CustomerID: alice, Items: []ordering.Item{{mug.ID, 1}}, IdempotencyKey: "k1"}); !errors.Is(err, ordering.ErrIdempotencyConflict) {
		t.Errorf("same key, other items: %v, want ErrIdempotencyConflict", err)
	}
	_, _, err = f.svc.Place(ctx, ordering.PlaceRequest{CustomerID: alice, Items: []ordering.Item{{mug.ID, 1}, {cup.ID, 1}}})
	if short, ok := errors.AsType[*ordering.InsufficientStockError](err); !ok || short.ProductID != cup.ID {
		t.Errorf("cup is sold out: %v, want InsufficientStockError for it", err)
	}
	missing := uuid.New()
	_, _, err = f.svc.Place(ctx, ordering.PlaceRequest{CustomerID: alice, Items: []ordering.Item{{mug.ID, 1}, {missing, 1}}})
	if unknown, ok := errors.AsType[*ordering.UnknownProductError](err); !ok || unknown.ProductID != missing {
		t.Errorf("unknown product: %v, want UnknownProductError", err)
	}
	wantSeen := []string{"placed", "replayed", ordering.RejectedIdempotencyConflict, ordering.RejectedInsufficientStock, ordering.RejectedUnknownProduct}
	if got := f.rec.seen(); !slices.Equal(got, wantSeen) {
		t.Errorf("recorded %v, want %v", got, wantSeen)
	}
	if p, _ := f.products.Get(ctx, mug.ID); p.Stock != 4 {
		t.Errorf("mug stock %d, want 4: failed orders and replays take nothing", p.Stock)
	}
	var types []string
	for _, e := range f.orders.Events() {
		types = append(types, e.Type)
	}
	// mug 6 → 4 and cup 1 → 0 : the mug crossed 5, the cup was below it already.
	if want := []string{events.TypeOrderPlaced, events.TypeStockLow}; !slices.Equal(types, want) {
		t.Errorf("events %v, want %v", types, want)
	}
}

func TestGetChecksTheCaller(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	alice, bob := uuid.New(), uuid.New()
	mug := f.product(t, "MUG", 100, 10)
	o, _, err := f.svc.Place(t.Context(), ordering.PlaceRequest{CustomerID: alice, Items: []ordering.Item{{mug.ID, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		caller  ordering.Caller
		id      uuid.UUID
		wantErr error
	}{
		{"owner", ordering.Caller{CustomerID: alice}, o.ID, nil},
		{"admin", ordering.Caller{CustomerID: bob, Admin: true}, o.ID, nil},
		{"another customer", ordering.Caller{CustomerID: bob}, o.ID, ordering.ErrNotFound},
		{"missing", ordering.Caller{CustomerID: alice}, uuid.New(), ordering.ErrNotFound},
	}
	for _, tt := range tests {
		got, err := f.svc.Get(t.Context(), tt.caller, tt.id)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && (err != nil || got.ID != o.ID)) {
			t.Errorf("%s: Get = %+v, %v; want %v", tt.name, got.ID, err, tt.wantErr)
		}
	}
}

func TestListPagesAndCursors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	alice := uuid.New()
	mug := f.product(t, "MUG", 100, 100)
	var want []uuid.UUID
	for range 5 {
		o, _, err := f.svc.Place(t.Context(), ordering.PlaceRequest{CustomerID: alice, Items: []ordering.Item{{mug.ID, 1}}})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]uuid.UUID{o.ID}, want...)
	}
	if _, _, err := f.svc.Place(t.Context(), ordering.PlaceRequest{CustomerID: uuid.New(), Items: []ordering.Item{{mug.ID, 1}}}); err != nil {
		t.Fatal(err)
	}
	var got []uuid.UUID
	req := ordering.ListRequest{CustomerID: alice, Limit: 2}
	for {
		page, err := f.svc.List(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Items {
			got = append(got, o.ID)
		}
		if page.NextCursor == "" {
			break
		}
		req.Cursor = page.NextCursor
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages %v, want %v (newest first)", got, want)
	}
	for name, req := range map[string]ordering.ListRequest{
		"limit 101":  {CustomerID: alice, Limit: 101},
		"bad cursor": {CustomerID: alice, Cursor: "abc"},
	} {
		if _, err := f.svc.List(t.Context(), req); len(fieldsOf(err)) != 1 {
			t.Errorf("%s: %v, want one field error", name, err)
		}
	}
}

func TestNewServiceValidates(t *testing.T) {
	t.Parallel()
	repo := orderingtest.NewMemory(catalogtest.NewMemory(nil), nil)
	for name, opts := range map[string]ordering.Options{
		"no repo":            {CursorKey: key},
		"short key":          {Repo: repo, CursorKey: key[:4]},
		"negative threshold": {Repo: repo, CursorKey: key, LowStockThreshold: -1},
	} {
		if _, err := ordering.NewService(opts); err == nil {
			t.Errorf("%s: NewService accepted %+v", name, opts)
		}
	}
}
