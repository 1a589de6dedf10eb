package catalog_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/catalog/catalogtest"
)

var key = []byte("0123456789abcdef")

func newService(t testing.TB) (*catalog.Service, *catalogtest.Memory) {
	t.Helper()
	repo := catalogtest.NewMemory(nil)
	s, err := catalog.NewService(catalog.Options{Repo: repo, CursorKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return s, repo
}

// fields returns the fields a joined validation error names.
func fields(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*catalog.FieldError); ok { //nolint:errorlint // walking the tree by hand
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

func TestCreateValidates(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	ok := catalog.NewProduct{SKU: "MUG-1", Name: "Mug", PriceCents: 100, Stock: 1}
	tests := []struct {
		name string
		edit func(*catalog.NewProduct)
		want []string
	}{
		{"valid", func(*catalog.NewProduct) {}, nil},
		{"blank name", func(p *catalog.NewProduct) { p.Name = "   " }, []string{"name"}},
		{"long name", func(p *catalog.NewProduct) { p.Name = strings.Repeat("é", 201) }, []string{"name"}},
		{"longest name", func(p *catalog.NewProduct) { p.Name = strings.Repeat("é", 200) }, nil},
		{"sku with a space", func(p *catalog.NewProduct) { p.SKU = "MUG 1" }, []string{"sku"}},
		{"long sku", func(p *catalog.NewProduct) { p.SKU = strings.Repeat("A", 65) }, []string{"sku"}},
		{"negative price and stock", func(p *catalog.NewProduct) { p.PriceCents, p.Stock = -1, -1 }, []string{"price_cents", "stock"}},
		{"huge price", func(p *catalog.NewProduct) { p.PriceCents = catalog.MaxPriceCents + 1 }, []string{"price_cents"}},
		{"long description", func(p *catalog.NewProduct) { p.Description = strings.Repeat("x", 10_001) }, []string{"description"}},
		// Text PostgreSQL cannot store is the client's mistake, not the server's.
		{"NUL in the name", func(p *catalog.NewProduct) { p.Name = "Mu\x00g" }, []string{"name"}},
		{"invalid UTF-8 in the name", func(p *catalog.NewProduct) { p.Name = "Mu\xffg" }, []string{"name"}},
		{"NUL in the description", func(p *catalog.NewProduct) { p.Description = "\x00" }, []string{"description"}},
		{"invalid UTF-8 in the description", func(p *catalog.NewProduct) { p.Description = "caf\xe9" }, []string{"description"}},
		{"NUL in the SKU", func(p *catalog.NewProduct) { p.SKU += "\x00" }, []string{"sku"}},
		{"invalid UTF-8 in the SKU", func(p *catalog.NewProduct) { p.SKU += "\xff" }, []string{"sku"}},
		{"NUL everywhere", func(p *catalog.NewProduct) { p.SKU, p.Name, p.Description = "\x00", "\x00", "\x00" }, []string{"sku", "name", "description"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := ok
			p.SKU = fmt.Sprintf("%s-%d", p.SKU, len(tt.name))
			tt.edit(&p)
			_, err := s.Create(t.Context(), p)
			if got := fields(err); !slices.Equal(got, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Create = %v (fields %v), want fields %v", err, got, tt.want)
			}
		})
	}
}

func TestCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	s, repo := newService(t)
	ctx := t.Context()
	p, err := s.Create(ctx, catalog.NewProduct{SKU: " MUG-1 ", Name: " Mug ", PriceCents: 100, Stock: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.SKU != "MUG-1" || p.Name != "Mug" || p.Version != 1 {
		t.Errorf("created %+v: want the SKU and name trimmed, version 1", p)
	}
	if _, err := s.Create(ctx, catalog.NewProduct{SKU: "MUG-1", Name: "Other", PriceCents: 1}); !errors.Is(err, catalog.ErrSKUTaken) {
		t.Errorf("second MUG-1: %v, want ErrSKUTaken", err)
	}
	up, err := s.Update(ctx, p.ID, catalog.Precondition{Version: 1, Stock: 1}, catalog.Change{Name: "Big mug", PriceCents: 200, Stock: 5})
	if err != nil || up.Version != 2 || up.Name != "Big mug" || up.SKU != "MUG-1" || !up.UpdatedAt.After(p.UpdatedAt) {
		t.Errorf("Update = %+v, %v", up, err)
	}
	if _, err := s.Update(ctx, p.ID, catalog.Precondition{Version: 1, Stock: 1}, catalog.Change{Name: "x"}); !errors.Is(err, catalog.ErrVersionMismatch) {
		t.Errorf("stale update: %v, want ErrVersionMismatch", err)
	}
	if _, err := s.Update(ctx, p.ID, catalog.Precondition{}, catalog.Change{Name: ""}); len(fields(err)) != 1 {
		t.Errorf("invalid update: %v, want a field error", err)
	}
	if _, err := s.Update(ctx, uuid.New(), catalog.Precondition{}, catalog.Change{Name: "x"}); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("update of a missing product: %v", err)
	}
	if err := s.Delete(ctx, p.ID, catalog.Precondition{Version: 1, Stock: 5}); !errors.Is(err, catalog.ErrVersionMismatch) {
		t.Errorf("stale delete: %v", err)
	}
	if err := s.Delete(ctx, p.ID, catalog.Precondition{Version: 2, Stock: 5}); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := s.Get(ctx, p.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	again, err := s.Create(ctx, catalog.NewProduct{SKU: "MUG-1", Name: "Again", PriceCents: 1, Stock: 2})
	if err != nil {
		t.Fatalf("the SKU of a deleted product is free again: %v", err)
	}
	if _, err := repo.Take(map[uuid.UUID]int{again.ID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, again.ID, catalog.Precondition{}); !errors.Is(err, catalog.ErrInUse) {
		t.Errorf("delete of an ordered product: %v, want ErrInUse", err)
	}
}

// The precondition covers the stock as well as the version: an order that takes stock after a
// read makes the read's precondition fail, and one that cannot hold never reaches the store.
func TestPreconditions(t *testing.T) {
	t.Parallel()
	s, repo := newService(t)
	ctx := t.Context()
	p, err := s.Create(ctx, catalog.NewProduct{SKU: "MUG-1", Name: "Mug", PriceCents: 100, Stock: 10})
	if err != nil {
		t.Fatal(err)
	}
	read := catalog.Precondition{Version: p.Version, Stock: p.Stock}
	if _, err := repo.Take(map[uuid.UUID]int{p.ID: 4}); err != nil {
		t.Fatal(err)
	}
	change := catalog.Change{Name: "Mug", PriceCents: 100, Stock: 10}
	tests := []struct {
		name string
		pre  catalog.Precondition
	}{
		{"the stock read before an order", read},
		{"a version to come", catalog.Precondition{Version: 2, Stock: 6}},
		{"a negative version", catalog.Precondition{Version: -1, Stock: 6}},
		{"a negative stock", catalog.Precondition{Version: 1, Stock: -1}},
	}
	for _, tt := range tests {
		if _, err := s.Update(ctx, p.ID, tt.pre, change); !errors.Is(err, catalog.ErrVersionMismatch) {
			t.Errorf("Update, %s: %v, want ErrVersionMismatch", tt.name, err)
		}
		if err := s.Delete(ctx, p.ID, tt.pre); !errors.Is(err, catalog.ErrVersionMismatch) {
			t.Errorf("Delete, %s: %v, want ErrVersionMismatch", tt.name, err)
		}
	}
	if got, err := s.Get(ctx, p.ID); err != nil || got.Stock != 6 || got.Version != 1 {
		t.Fatalf("after refused writes: %+v, %v; want stock 6, version 1", got, err)
	}
	up, err := s.Update(ctx, p.ID, catalog.Precondition{Version: 1, Stock: 6}, change)
	if err != nil || up.Stock != 10 || up.Version != 2 {
		t.Errorf("Update with the current version and stock = %+v, %v", up, err)
	}
}

func TestUpdateValidates(t *testing.T) {
	t.Parallel()
	s, repo := newService(t)
	p, err := repo.Create(t.Context(), catalog.NewProduct{SKU: "MUG-1", Name: "Mug", PriceCents: 100, Stock: 1})
	if err != nil {
		t.Fatal(err)
	}
	ok := catalog.Change{Name: "Mug", PriceCents: 100, Stock: 1}
	tests := []struct {
		name string
		edit func(*catalog.Change)
		want []string
	}{
		{"blank name", func(c *catalog.Change) { c.Name = " " }, []string{"name"}},
		{"NUL in the name", func(c *catalog.Change) { c.Name = "\x00Mug" }, []string{"name"}},
		{"invalid UTF-8 in the name", func(c *catalog.Change) { c.Name = "\xc3" }, []string{"name"}},
		{"NUL in the description", func(c *catalog.Change) { c.Description = "a\x00b" }, []string{"description"}},
		{"invalid UTF-8 in the description", func(c *catalog.Change) { c.Description = "\xed\xa0\x80" }, []string{"description"}}, // a surrogate
		{"negative stock", func(c *catalog.Change) { c.Stock = -1 }, []string{"stock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ok
			tt.edit(&c)
			_, err := s.Update(t.Context(), p.ID, catalog.Precondition{}, c)
			if got := fields(err); !slices.Equal(got, tt.want) {
				t.Errorf("Update = %v (fields %v), want fields %v", err, got, tt.want)
			}
		})
	}
	if got, err := s.Get(t.Context(), p.ID); err != nil || got.Version != 1 {
		t.Errorf("after refused updates: %+v, %v; want version 1", got, err)
	}
}

func TestListValidates(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	neg, low, high := int64(-1), int64(10), int64(5)
	tests := []struct {
		name string
		req  catalog.ListRequest
		want []string
	}{
		{"defaults", catalog.ListRequest{}, nil},
		{"limit too big", catalog.ListRequest{Limit: 101}, []string{"limit"}},
		{"negative limit", catalog.ListRequest{Limit: -1}, []string{"limit"}},
		{"unknown sort", catalog.ListRequest{Sort: "stock"}, []string{"sort"}},
		{"negative price", catalog.ListRequest{MinPriceCents: &neg}, []string{"min_price"}},
		{"max below min", catalog.ListRequest{MinPriceCents: &low, MaxPriceCents: &high}, []string{"max_price"}},
		{"long search", catalog.ListRequest{Search: strings.Repeat("q", 101)}, []string{"q"}},
		{"NUL in the search", catalog.ListRequest{Search: "mug\x00"}, []string{"q"}},
		{"only NUL in the search", catalog.ListRequest{Search: "\x00"}, []string{"q"}},
		{"invalid UTF-8 in the search", catalog.ListRequest{Search: "\xff"}, []string{"q"}},
		{"garbage cursor", catalog.ListRequest{Cursor: "garbage"}, []string{"cursor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := s.List(t.Context(), tt.req)
			if got := fields(err); !slices.Equal(got, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("List = %v (fields %v), want %v", err, got, tt.want)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	at := time.Date(2030, 5, 6, 7, 8, 9, 123456000, time.UTC)
	id := uuid.New()
	tests := []catalog.Cursor{
		{Sort: catalog.SortCreated, CreatedAt: at, ID: id},
		{Sort: catalog.SortCreated, Desc: true, CreatedAt: at, ID: id},
		{Sort: catalog.SortPrice, PriceCents: 0, ID: id},
		{Sort: catalog.SortPrice, Desc: true, PriceCents: catalog.MaxPriceCents, ID: id},
		{Sort: catalog.SortName, Name: "Tasse à café", ID: id},
		{Sort: catalog.SortName, Name: "", ID: id},
		// The longest names in bytes: 200 characters of three and of four bytes.
		{Sort: catalog.SortName, Name: strings.Repeat("漢", catalog.MaxNameLength), ID: id},
		{Sort: catalog.SortName, Desc: true, Name: strings.Repeat("𠮷", catalog.MaxNameLength), ID: id},
	}
	for _, c := range tests {
		tok, err := s.EncodeCursor(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.DecodeCursor(tok, c.Sort, c.Desc)
		if err != nil {
			t.Errorf("DecodeCursor(EncodeCursor(%+v)) = %v", c, err)
			continue
		}
		if !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID || got.Sort != c.Sort || got.Desc != c.Desc || got.PriceCents != c.PriceCents || got.Name != c.Name {
			t.Errorf("round trip %+v → %+v", c, got)
		}
		for _, other := range []catalog.SortField{catalog.SortCreated, catalog.SortPrice, catalog.SortName} {
			for _, desc := range []bool{false, true} {
				if other == c.Sort && desc == c.Desc {
					continue
				}
				if _, err := s.DecodeCursor(tok, other, desc); !errors.Is(err, catalog.ErrInvalidCursor) {
					t.Errorf("a %s/%v cursor opened for %s/%v: %v", c.Sort, c.Desc, other, desc, err)
				}
			}
		}
	}
	if _, err := s.EncodeCursor(catalog.Cursor{Sort: "stock"}); err == nil {
		t.Error("EncodeCursor accepted an unknown sort")
	}
	other, err := catalog.NewService(catalog.Options{Repo: catalogtest.NewMemory(nil), CursorKey: []byte("another key, 16+")})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := other.EncodeCursor(tests[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecodeCursor(tok, tests[0].Sort, false); !errors.Is(err, catalog.ErrInvalidCursor) {
		t.Errorf("a cursor sealed under another key opened: %v", err)
	}
}

// A name-sorted list of the longest names walks page by page.
func TestListLongNames(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	ctx := t.Context()
	var want []uuid.UUID
	for i, r := range []string{"漢", "𠮷"} {
		p, err := s.Create(ctx, catalog.NewProduct{SKU: fmt.Sprintf("CJK-%d", i), Name: strings.Repeat(r, catalog.MaxNameLength), PriceCents: 1, Stock: 1})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p.ID)
	}
	for _, desc := range []bool{false, true} {
		var got []uuid.UUID
		req := catalog.ListRequest{Limit: 1, Sort: catalog.SortName, Desc: desc}
		for range 3 {
			page, err := s.List(ctx, req)
			if err != nil {
				t.Fatalf("desc %v: page %d: %v", desc, len(got)+1, err)
			}
			for _, p := range page.Items {
				got = append(got, p.ID)
			}
			if page.NextCursor == "" {
				break
			}
			req.Cursor = page.NextCursor
		}
		w := slices.Clone(want)
		if desc {
			slices.Reverse(w)
		}
		if !slices.Equal(got, w) {
			t.Errorf("desc %v: walked %v, want %v", desc, got, w)
		}
	}
}

func TestNewServiceValidates(t *testing.T) {
	t.Parallel()
	if _, err := catalog.NewService(catalog.Options{CursorKey: key}); err == nil {
		t.Error("NewService accepted no repository")
	}
	if _, err := catalog.NewService(catalog.Options{Repo: catalogtest.NewMemory(nil), CursorKey: key[:8]}); err == nil {
		t.Error("NewService accepted a short key")
	}
}

// The fake lists as the store must: every product once over the pages, filtered, in order.
func TestMemoryListPages(t *testing.T) {
	t.Parallel()
	s, repo := newService(t)
	ctx := t.Context()
	for i := range 10 {
		if _, err := repo.Create(ctx, catalog.NewProduct{SKU: fmt.Sprintf("S%d", i), Name: fmt.Sprintf("N%d", i%3), PriceCents: int64(i % 4), Stock: i % 2}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	req := catalog.ListRequest{Limit: 3, Sort: catalog.SortName, Desc: true, InStock: true}
	for {
		page, err := s.List(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Items {
			if p.Stock == 0 {
				t.Errorf("in_stock listed %s", p.SKU)
			}
			names = append(names, p.Name)
		}
		if page.NextCursor == "" {
			break
		}
		req.Cursor = page.NextCursor
	}
	if len(names) != 5 || !slices.IsSortedFunc(names, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("names %v: want the 5 in stock, by name descending", names)
	}
}
