package httpapi_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/catalog/catalogtest"
	"example.com/gopher-template/ecommerce/internal/cursor"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
)

func TestCreateProduct(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, admin := f.user(t, accounts.RoleAdmin)
	f.product(t, "TAKEN-1", 100, 1)
	long := strings.Repeat("x", 201)
	tests := []struct {
		name       string
		body       any
		headers    map[string]string
		want       int
		wantFields []string
	}{
		{"created", map[string]any{"sku": "MUG-1", "name": "Mug", "description": "Blue", "price_cents": 1250, "stock": 3}, nil, http.StatusCreated, nil},
		{"no description", map[string]any{"sku": "MUG-2", "name": "Mug", "price_cents": 0, "stock": 0}, nil, http.StatusCreated, nil},
		{"SKU taken", map[string]any{"sku": "TAKEN-1", "name": "Mug", "price_cents": 1, "stock": 1}, nil, http.StatusConflict, nil},
		{"every field wrong", map[string]any{"sku": "no spaces allowed", "name": long, "price_cents": -1, "stock": -5}, nil,
			http.StatusUnprocessableEntity, []string{"name", "price_cents", "sku", "stock"}},
		{"missing fields", map[string]any{"price_cents": 1, "stock": 1}, nil, http.StatusUnprocessableEntity, []string{"name", "sku"}},
		{"a string for a number", `{"sku":"A","name":"A","price_cents":"12","stock":1}`, nil, http.StatusBadRequest, nil},
		{"unknown field", `{"sku":"A","name":"A","price_cents":1,"stock":1,"version":9}`, nil, http.StatusBadRequest, nil},
		{"two objects", `{"sku":"A","name":"A","price_cents":1,"stock":1}{}`, nil, http.StatusBadRequest, nil},
		{"form-encoded", `sku=A`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType, nil},
		{"no content type", `{}`, map[string]string{"Content-Type": ""}, http.StatusUnsupportedMediaType, nil},
		{"too large", `{"sku":"A","name":"A","price_cents":1,"stock":1,"description":"` + strings.Repeat("x", 70<<10) + `"}`, nil, http.StatusRequestEntityTooLarge, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.do(t, call{method: http.MethodPost, path: "/v1/products", token: admin, body: tt.body, headers: tt.headers})
			res.want(t, tt.want)
			if got := res.fields(t); tt.want >= 400 && !slices.Equal(sorted(got), tt.wantFields) {
				t.Errorf("errors name %v, want %v", got, tt.wantFields)
			}
			if tt.want != http.StatusCreated {
				return
			}
			var p gen.Product
			res.decode(t, &p)
			if loc := res.header.Get("Location"); loc != "/v1/products/"+p.Id.String() {
				t.Errorf("Location %q", loc)
			}
			if etag := res.header.Get("ETag"); etag != fmt.Sprintf(`"1-%d"`, p.Stock) || p.Version != 1 {
				t.Errorf("ETag %q, version %d", etag, p.Version)
			}
			got := f.do(t, call{method: http.MethodGet, path: "/v1/products/" + p.Id.String()})
			got.want(t, http.StatusOK)
			if !bytes.Equal(got.body, res.body) {
				t.Errorf("GET after POST = %s, want %s", got.body, res.body)
			}
		})
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

func TestGetProduct(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	p := f.product(t, "MUG-1", 1250, 3)
	tests := []struct {
		name, path, ifNoneMatch string
		want                    int
	}{
		{"found", "/v1/products/" + p.ID.String(), "", http.StatusOK},
		{"If-None-Match lists it", "/v1/products/" + p.ID.String(), `"9-9", "1-3"`, http.StatusNotModified},
		{"If-None-Match weak", "/v1/products/" + p.ID.String(), `W/"1-3"`, http.StatusNotModified},
		{"If-None-Match *", "/v1/products/" + p.ID.String(), `*`, http.StatusNotModified},
		{"If-None-Match another", "/v1/products/" + p.ID.String(), `"2-3"`, http.StatusOK},
		{"If-None-Match malformed", "/v1/products/" + p.ID.String(), `1-3`, http.StatusOK},
		{"missing", "/v1/products/" + uuid.NewString(), "", http.StatusNotFound},
		{"not a UUID", "/v1/products/42", "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.do(t, call{method: http.MethodGet, path: tt.path, headers: map[string]string{"If-None-Match": tt.ifNoneMatch}})
			res.want(t, tt.want)
			if tt.want == http.StatusOK || tt.want == http.StatusNotModified {
				if etag := res.header.Get("ETag"); etag != `"1-3"` {
					t.Errorf("ETag %q, want \"1-3\"", etag)
				}
			}
			if tt.want == http.StatusNotModified && len(res.body) != 0 {
				t.Errorf("304 with a body: %s", res.body)
			}
		})
	}
}

// The ETag follows every change of the product: an admin's (the version) and an order's (the
// stock), so that a cached copy is never revalidated stale and a PUT never overwrites a change it
// did not see.
func TestProductETagsAndPreconditions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, admin := f.user(t, accounts.RoleAdmin)
	_, customer := f.user(t, accounts.RoleCustomer)
	p := f.product(t, "MUG-1", 1250, 10)
	path := "/v1/products/" + p.ID.String()
	change := map[string]any{"name": "Big mug", "price_cents": 1500, "stock": 10}

	get := func() string {
		res := f.do(t, call{method: http.MethodGet, path: path})
		res.want(t, http.StatusOK)
		return res.header.Get("ETag")
	}
	first := get()
	f.do(t, call{method: http.MethodPut, path: path, token: admin, body: change}).want(t, http.StatusPreconditionRequired)
	f.do(t, call{method: http.MethodPut, path: path, token: admin, body: change, headers: map[string]string{"If-Match": `W/` + first}}).want(t, http.StatusPreconditionFailed)
	f.do(t, call{method: http.MethodPut, path: "/v1/products/" + uuid.NewString(), token: admin, body: change, headers: map[string]string{"If-Match": first}}).want(t, http.StatusNotFound)

	updated := f.do(t, call{method: http.MethodPut, path: path, token: admin, body: change, headers: map[string]string{"If-Match": first}})
	updated.want(t, http.StatusOK)
	second := updated.header.Get("ETag")
	var up gen.Product
	updated.decode(t, &up)
	if second == first || second != get() || up.Version != 2 || up.Name != "Big mug" || up.Description != "" {
		t.Errorf("after PUT: ETag %q (was %q), product %+v", second, first, up)
	}
	f.do(t, call{method: http.MethodGet, path: path, headers: map[string]string{"If-None-Match": first}}).want(t, http.StatusOK)
	f.do(t, call{method: http.MethodPut, path: path, token: admin, body: change, headers: map[string]string{"If-Match": first}}).want(t, http.StatusPreconditionFailed)

	// An order takes stock: no new version, but a new ETag.
	f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: customer,
		body: map[string]any{"items": []map[string]any{{"product_id": p.ID, "quantity": 2}}}}).want(t, http.StatusCreated)
	third := get()
	if third == second {
		t.Errorf("the ETag %q did not change when an order took stock", third)
	}
	f.do(t, call{method: http.MethodGet, path: path, headers: map[string]string{"If-None-Match": second}}).want(t, http.StatusOK)
	stale := f.do(t, call{method: http.MethodPut, path: path, token: admin, body: change, headers: map[string]string{"If-Match": second}})
	stale.want(t, http.StatusPreconditionFailed)
	if typ := stale.problem(t).Type; typ != "urn:problem-type:precondition-failed" {
		t.Errorf("412 of type %q", typ)
	}
	f.do(t, call{method: http.MethodPut, path: path, token: admin, body: change, headers: map[string]string{"If-Match": "*"}}).want(t, http.StatusOK)

	// DELETE: If-Match optional, checked when given; a product in an order stays.
	f.do(t, call{method: http.MethodDelete, path: path, token: admin, headers: map[string]string{"If-Match": third}}).want(t, http.StatusPreconditionFailed)
	f.do(t, call{method: http.MethodDelete, path: path, token: admin, headers: map[string]string{"If-Match": get()}}).want(t, http.StatusConflict)
	f.do(t, call{method: http.MethodGet, path: path}).want(t, http.StatusOK)

	other := f.product(t, "MUG-2", 1, 1)
	otherPath := "/v1/products/" + other.ID.String()
	f.do(t, call{method: http.MethodDelete, path: otherPath, token: admin, headers: map[string]string{"If-Match": `"1-0"`}}).want(t, http.StatusPreconditionFailed)
	f.do(t, call{method: http.MethodDelete, path: otherPath, token: admin, headers: map[string]string{"If-Match": `"1-1"`}}).want(t, http.StatusNoContent)
	f.do(t, call{method: http.MethodGet, path: otherPath}).want(t, http.StatusNotFound)
	f.do(t, call{method: http.MethodDelete, path: otherPath, token: admin}).want(t, http.StatusNotFound)
	last := f.product(t, "MUG-3", 1, 1)
	f.do(t, call{method: http.MethodDelete, path: "/v1/products/" + last.ID.String(), token: admin}).want(t, http.StatusNoContent)
}

// orderBeforeWrite is a catalog whose Update first lets an order take stock of the product: the
// order lands after the handler read the product (and matched If-Match) but before the write.
type orderBeforeWrite struct {
	catalog.Repository
	memory   *catalogtest.Memory
	quantity int
}

func (o orderBeforeWrite) Update(ctx context.Context, id uuid.UUID, pre catalog.Precondition, c catalog.Change) (catalog.Product, error) {
	if _, err := o.memory.Take(map[uuid.UUID]int{id: o.quantity}); err != nil {
		return catalog.Product{}, err
	}
	return o.Repository.Update(ctx, id, pre, c)
}

// A PUT whose ETag an order made stale while the request was on its way is 412, and the stock
// the order took stays taken (the review's lost update, through HTTP).
func TestUpdateProductRacingAnOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{wrapCatalog: func(r catalog.Repository) catalog.Repository {
		return orderBeforeWrite{Repository: r, memory: r.(*catalogtest.Memory), quantity: 4}
	}})
	_, admin := f.user(t, accounts.RoleAdmin)
	p := f.product(t, "MUG-1", 1250, 10)
	path := "/v1/products/" + p.ID.String()
	etag := f.do(t, call{method: http.MethodGet, path: path}).header.Get("ETag")
	res := f.do(t, call{method: http.MethodPut, path: path, token: admin,
		body: map[string]any{"name": "Mug", "price_cents": 1250, "stock": 10}, headers: map[string]string{"If-Match": etag}})
	res.want(t, http.StatusPreconditionFailed)
	got, err := f.products.Get(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stock != 6 || got.Version != 1 {
		t.Errorf("after the refused PUT: stock %d version %d, want 6 and 1", got.Stock, got.Version)
	}
}

func TestETagListMatchingViaHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, admin := f.user(t, accounts.RoleAdmin)
	tests := []struct {
		ifMatch string
		want    int
	}{
		{`"1-5"`, http.StatusOK},
		{`"0-0", "1-5"`, http.StatusOK},
		{`"0-0","1-5"`, http.StatusOK},
		{` * `, http.StatusOK},
		{`W/"1-5"`, http.StatusPreconditionFailed},
		{`"1-5`, http.StatusPreconditionFailed},
		{`1-5`, http.StatusPreconditionFailed},
		{`"1-4"`, http.StatusPreconditionFailed},
		{`"1-5"x`, http.StatusOK}, // matched before the garbage
	}
	for _, tt := range tests {
		t.Run(tt.ifMatch, func(t *testing.T) {
			t.Parallel()
			p := f.product(t, "SKU-"+uuid.NewString()[:8], 100, 5)
			f.do(t, call{method: http.MethodPut, path: "/v1/products/" + p.ID.String(), token: admin,
				body: map[string]any{"name": "n", "price_cents": 1, "stock": 5}, headers: map[string]string{"If-Match": tt.ifMatch}}).want(t, tt.want)
		})
	}
}

// Walking every page, in every sort and order and with several page sizes, yields every product
// once, in the right order.
func TestListProductsWalksAllPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	var all []catalog.Product
	for i := range 23 {
		// Prices and names repeat, so that ties are broken by ID.
		p, err := f.products.Create(t.Context(), catalog.NewProduct{
			SKU: fmt.Sprintf("SKU-%02d", i), Name: fmt.Sprintf("Item %c", 'A'+i%5), PriceCents: int64(100 * (i % 7)), Stock: i % 3,
		})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p)
	}
	key := func(sort string) func(a, b catalog.Product) int {
		return func(a, b catalog.Product) int {
			var n int
			switch sort {
			case "price":
				n = cmp.Compare(a.PriceCents, b.PriceCents)
			case "name":
				n = strings.Compare(a.Name, b.Name)
			default:
				n = a.CreatedAt.Compare(b.CreatedAt)
			}
			if n == 0 {
				n = bytes.Compare(a.ID[:], b.ID[:])
			}
			return n
		}
	}
	for _, sort := range []string{"", "created_at", "price", "name"} {
		for _, order := range []string{"", "asc", "desc"} {
			for _, limit := range []int{0, 1, 5, 23, 100} {
				t.Run(fmt.Sprintf("sort=%s order=%s limit=%d", sort, order, limit), func(t *testing.T) {
					t.Parallel()
					want := slices.Clone(all)
					slices.SortFunc(want, key(sort))
					if order == "desc" {
						slices.Reverse(want)
					}
					q := url.Values{}
					if sort != "" {
						q.Set("sort", sort)
					}
					if order != "" {
						q.Set("order", order)
					}
					if limit != 0 {
						q.Set("limit", fmt.Sprint(limit))
					}
					got := walk(t, f, q, limit)
					if len(got) != len(want) {
						t.Fatalf("%d products over all pages, want %d", len(got), len(want))
					}
					for i := range want {
						if got[i] != want[i].ID {
							t.Fatalf("product %d is %s, want %s", i, got[i], want[i].ID)
						}
					}
				})
			}
		}
	}
}

// walk follows next_cursor to the end and returns the IDs in the order served; pages are never
// longer than limit (20 by default).
func walk(t *testing.T, f *fixture, q url.Values, limit int) []uuid.UUID {
	t.Helper()
	if limit == 0 {
		limit = 20
	}
	var ids []uuid.UUID
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("more than 100 pages")
		}
		res := f.do(t, call{method: http.MethodGet, path: "/v1/products?" + q.Encode()})
		res.want(t, http.StatusOK)
		var page gen.ProductPage
		res.decode(t, &page)
		if len(page.Items) > limit {
			t.Fatalf("a page of %d, limit %d", len(page.Items), limit)
		}
		for _, p := range page.Items {
			ids = append(ids, p.Id)
		}
		if page.NextCursor == nil {
			return ids
		}
		if len(page.Items) != limit {
			t.Fatalf("a page of %d (limit %d) that is not the last", len(page.Items), limit)
		}
		q.Set("cursor", *page.NextCursor)
	}
}

// Names as long as they may be, in characters of three and four bytes, make the longest name
// cursors: every page of a name-sorted list still walks, both ways.
func TestListProductsLongNames(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, admin := f.user(t, accounts.RoleAdmin)
	var want []uuid.UUID
	for i, r := range []string{"漢", "𠮷"} { // U+6F22 (3 bytes), U+20BB7 (4 bytes)
		res := f.do(t, call{method: http.MethodPost, path: "/v1/products", token: admin,
			body: map[string]any{"sku": fmt.Sprintf("CJK-%d", i), "name": strings.Repeat(r, catalog.MaxNameLength), "price_cents": 1, "stock": 1}})
		res.want(t, http.StatusCreated)
		var p gen.Product
		res.decode(t, &p)
		want = append(want, p.Id)
	}
	for _, order := range []string{"asc", "desc"} {
		t.Run(order, func(t *testing.T) {
			t.Parallel()
			got := walk(t, f, url.Values{"limit": {"1"}, "sort": {"name"}, "order": {order}}, 1)
			w := slices.Clone(want)
			if order == "desc" {
				slices.Reverse(w)
			}
			if !slices.Equal(got, w) {
				t.Errorf("walked %v, want %v", got, w)
			}
		})
	}
}

func TestListProductsFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	mug := f.product(t, "MUG-1", 500, 0)
	cup := f.product(t, "CUP-1", 1000, 4)
	bowl := f.product(t, "BOWL-1", 2000, 9)
	tests := []struct {
		query string
		want  []uuid.UUID
	}{
		{"", []uuid.UUID{mug.ID, cup.ID, bowl.ID}},
		{"min_price=1000", []uuid.UUID{cup.ID, bowl.ID}},
		{"max_price=1000", []uuid.UUID{mug.ID, cup.ID}},
		{"min_price=600&max_price=1999", []uuid.UUID{cup.ID}},
		{"in_stock=true", []uuid.UUID{cup.ID, bowl.ID}},
		{"in_stock=false", []uuid.UUID{mug.ID, cup.ID, bowl.ID}},
		{"q=mug", []uuid.UUID{mug.ID}},
		{"q=PRODUCT%20C", []uuid.UUID{cup.ID}},
		{"q=-1&sort=price&order=desc", []uuid.UUID{bowl.ID, cup.ID, mug.ID}},
		{"q=nothing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := walk(t, f, q, 0); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListProductsRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	for i := range 3 {
		f.product(t, fmt.Sprintf("SKU-%d", i), 100, 1)
	}
	res := f.do(t, call{method: http.MethodGet, path: "/v1/products?limit=1&sort=price"})
	res.want(t, http.StatusOK)
	var page gen.ProductPage
	res.decode(t, &page)
	cur := *page.NextCursor
	tampered := []byte(cur)
	tampered[5] ^= 0x01

	tests := []struct {
		query      string
		wantFields []string
	}{
		{"limit=0", []string{"limit"}},
		{"limit=101", []string{"limit"}},
		{"limit=abc", []string{"limit"}},
		{"limit=1.5", []string{"limit"}},
		{"sort=stock", []string{"sort"}},
		{"order=up", []string{"order"}},
		{"min_price=-1", []string{"min_price"}},
		{"min_price=500&max_price=100", []string{"max_price"}},
		{"in_stock=maybe", []string{"in_stock"}},
		{"q=" + strings.Repeat("x", 101), []string{"q"}},
		{"cursor=" + url.QueryEscape(cur), []string{"cursor"}}, // made for sort=price
		{"sort=price&order=desc&cursor=" + url.QueryEscape(cur), []string{"cursor"}},
		{"sort=price&cursor=" + url.QueryEscape(string(tampered)), []string{"cursor"}},
		{"sort=price&cursor=bm90LWEtY3Vyc29y", []string{"cursor"}},
		{"sort=price&cursor=" + strings.Repeat("A", cursor.MaxTokenLength+1), []string{"cursor"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			res := f.do(t, call{method: http.MethodGet, path: "/v1/products?" + tt.query})
			res.want(t, http.StatusBadRequest)
			if got := res.fields(t); !slices.Equal(got, tt.wantFields) {
				t.Errorf("errors name %v, want %v", got, tt.wantFields)
			}
		})
	}
	// The right sort takes the cursor.
	f.do(t, call{method: http.MethodGet, path: "/v1/products?sort=price&cursor=" + url.QueryEscape(cur)}).want(t, http.StatusOK)
}
