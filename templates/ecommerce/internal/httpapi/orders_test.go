package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/events"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
)

func items(lines ...any) map[string]any {
	out := make([]map[string]any, 0, len(lines)/2)
	for i := 0; i+1 < len(lines); i += 2 {
		out = append(out, map[string]any{"product_id": lines[i], "quantity": lines[i+1]})
	}
	return map[string]any{"items": out}
}

func stockOf(t *testing.T, f *fixture, id uuid.UUID) int {
	t.Helper()
	p, err := f.products.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Stock
}

func TestPlaceOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{threshold: 5})
	customerID, customer := f.user(t, accounts.RoleCustomer)
	mug := f.product(t, "MUG-1", 1250, 10)
	cup := f.product(t, "CUP-1", 300, 2)

	res := f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: customer, body: items(mug.ID, 6, cup.ID, 1)})
	res.want(t, http.StatusCreated)
	var o gen.Order
	res.decode(t, &o)
	if o.CustomerId != customerID || o.Status != gen.Placed || o.TotalCents != 6*1250+300 || len(o.Lines) != 2 || o.Lines[0].UnitPriceCents != 1250 {
		t.Errorf("order %+v", o)
	}
	if loc := res.header.Get("Location"); loc != "/v1/orders/"+o.Id.String() {
		t.Errorf("Location %q", loc)
	}
	if res.header.Get("Idempotent-Replayed") != "" {
		t.Error("a first placement says it is replayed")
	}
	if s := stockOf(t, f, mug.ID); s != 4 {
		t.Errorf("mug stock %d, want 4", s)
	}
	var types []string
	for _, e := range f.orders.Events() {
		types = append(types, e.Type)
	}
	// The mug crossed the threshold (10 → 4); the cup was below it already (2 → 1).
	if want := []string{events.TypeOrderPlaced, events.TypeStockLow}; !slices.Equal(types, want) {
		t.Errorf("outbox %v, want %v", types, want)
	}
}

func TestPlaceOrderRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, customer := f.user(t, accounts.RoleCustomer)
	mug := f.product(t, "MUG-1", 1250, 3)
	cup := f.product(t, "CUP-1", 300, 100)
	missing := uuid.New()
	fifty := make([]any, 0, 102)
	for range 51 {
		fifty = append(fifty, uuid.New(), 1)
	}
	tests := []struct {
		name        string
		body        any
		key         string
		want        int
		wantType    string
		wantFields  []string
		wantProduct *uuid.UUID
	}{
		{"insufficient stock", items(cup.ID, 1, mug.ID, 4), "", http.StatusConflict, "urn:problem-type:insufficient-stock", nil, &mug.ID},
		{"unknown product", items(cup.ID, 1, missing, 1), "", http.StatusUnprocessableEntity, "urn:problem-type:unknown-product", []string{"items[1].product_id"}, &missing},
		{"same product twice", items(cup.ID, 1, cup.ID, 2), "", http.StatusUnprocessableEntity, "urn:problem-type:validation", []string{"items[1].product_id"}, nil},
		{"no items", items(), "", http.StatusUnprocessableEntity, "urn:problem-type:validation", []string{"items"}, nil},
		{"51 lines", items(fifty...), "", http.StatusUnprocessableEntity, "urn:problem-type:validation", []string{"items"}, nil},
		{"quantities out of range", items(cup.ID, 0, mug.ID, 1001), "", http.StatusUnprocessableEntity, "urn:problem-type:validation", []string{"items[0].quantity", "items[1].quantity"}, nil},
		{"no product", `{"items":[{"quantity":1}]}`, "", http.StatusUnprocessableEntity, "urn:problem-type:validation", []string{"items[0].product_id"}, nil},
		{"product not a UUID", `{"items":[{"product_id":"mug","quantity":1}]}`, "", http.StatusBadRequest, "urn:problem-type:malformed-request", nil, nil},
		{"key with a space", items(cup.ID, 1), "a key", http.StatusBadRequest, "urn:problem-type:validation", []string{"Idempotency-Key"}, nil},
		{"key too long", items(cup.ID, 1), strings.Repeat("k", 256), http.StatusBadRequest, "urn:problem-type:validation", []string{"Idempotency-Key"}, nil},
	}
	t.Run("requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				res := f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: customer, body: tt.body, headers: map[string]string{"Idempotency-Key": tt.key}})
				res.want(t, tt.want)
				p := res.problem(t)
				if p.Type != tt.wantType {
					t.Errorf("type %q, want %q", p.Type, tt.wantType)
				}
				if got := res.fields(t); !slices.Equal(got, tt.wantFields) {
					t.Errorf("errors name %v, want %v", got, tt.wantFields)
				}
				if (tt.wantProduct == nil) != (p.ProductId == nil) || (tt.wantProduct != nil && *p.ProductId != *tt.wantProduct) {
					t.Errorf("product_id %v, want %v", p.ProductId, tt.wantProduct)
				}
			})
		}
	})
	if d := f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: customer, body: items(mug.ID, 4)}).problem(t).Detail; d == nil || !strings.Contains(*d, `"Product MUG-1"`) || !strings.Contains(*d, "3 left") {
		t.Errorf("insufficient stock detail %v does not name the product and its stock", d)
	}
	if stockOf(t, f, cup.ID) != 100 || stockOf(t, f, mug.ID) != 3 {
		t.Error("a refused order took stock")
	}
}

func TestPlaceOrderIdempotency(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, alice := f.user(t, accounts.RoleCustomer)
	_, bob := f.user(t, accounts.RoleCustomer)
	mug := f.product(t, "MUG-1", 1250, 100)
	cup := f.product(t, "CUP-1", 300, 100)
	key := map[string]string{"Idempotency-Key": "purchase-1"}

	first := f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: alice, headers: key,
		body: fmt.Sprintf(`{"items":[{"product_id":%q,"quantity":2},{"product_id":%q,"quantity":1}]}`, mug.ID, cup.ID)})
	first.want(t, http.StatusCreated)
	var o gen.Order
	first.decode(t, &o)

	tests := []struct {
		name     string
		token    string
		body     string
		want     int
		replayed bool
	}{
		{"same body", alice, fmt.Sprintf(`{"items":[{"product_id":%q,"quantity":2},{"product_id":%q,"quantity":1}]}`, mug.ID, cup.ID), http.StatusCreated, true},
		{"items in another order, keys reordered, spaces", alice, fmt.Sprintf(`{ "items" : [ {"quantity":1, "product_id":%q},
			{"quantity": 2, "product_id": %q} ] }`, cup.ID, mug.ID), http.StatusCreated, true},
		{"another quantity", alice, fmt.Sprintf(`{"items":[{"product_id":%q,"quantity":3},{"product_id":%q,"quantity":1}]}`, mug.ID, cup.ID), http.StatusConflict, false},
		{"fewer items", alice, fmt.Sprintf(`{"items":[{"product_id":%q,"quantity":2}]}`, mug.ID), http.StatusConflict, false},
		{"another customer, same key", bob, fmt.Sprintf(`{"items":[{"product_id":%q,"quantity":2}]}`, mug.ID), http.StatusCreated, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: tt.token, headers: key, body: tt.body})
			res.want(t, tt.want)
			if got := res.header.Get("Idempotent-Replayed") == "true"; got != tt.replayed {
				t.Errorf("Idempotent-Replayed %q, want replayed=%v", res.header.Get("Idempotent-Replayed"), tt.replayed)
			}
			if tt.want == http.StatusConflict {
				if typ := res.problem(t).Type; typ != "urn:problem-type:idempotency-conflict" {
					t.Errorf("409 of type %q", typ)
				}
				return
			}
			var again gen.Order
			res.decode(t, &again)
			if (again.Id == o.Id) != tt.replayed {
				t.Errorf("order %s, first order %s, replayed=%v", again.Id, o.Id, tt.replayed)
			}
			if tt.replayed && (res.header.Get("Location") != first.header.Get("Location") || string(res.body) != string(first.body)) {
				t.Errorf("replay answered %s, want the first answer %s", res.body, first.body)
			}
		})
	}
	if s := stockOf(t, f, mug.ID); s != 100-2-2 {
		t.Errorf("mug stock %d, want 96: replays must not take stock", s)
	}
}

// Concurrent retries with one key place one order.
func TestPlaceOrderIdempotencyUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, alice := f.user(t, accounts.RoleCustomer)
	mug := f.product(t, "MUG-1", 100, 1000)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			res := f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: alice, body: items(mug.ID, 3),
				headers: map[string]string{"Idempotency-Key": "k"}})
			var o gen.Order
			res.decode(t, &o)
			ids[i] = o.Id.String()
		})
	}
	wg.Wait()
	if distinct := slices.Compact(slices.Sorted(slices.Values(ids))); len(distinct) != 1 {
		t.Errorf("orders %v, want one", ids)
	}
	if s := stockOf(t, f, mug.ID); s != 997 {
		t.Errorf("stock %d, want 997", s)
	}
}

func TestGetOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, alice := f.user(t, accounts.RoleCustomer)
	_, bob := f.user(t, accounts.RoleCustomer)
	_, admin := f.user(t, accounts.RoleAdmin)
	mug := f.product(t, "MUG-1", 100, 10)
	placed := f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: alice, body: items(mug.ID, 1)})
	placed.want(t, http.StatusCreated)
	path := placed.header.Get("Location")
	tests := []struct {
		name, token, path string
		want              int
	}{
		{"owner", alice, path, http.StatusOK},
		{"admin", admin, path, http.StatusOK},
		{"another customer", bob, path, http.StatusNotFound},
		{"missing", alice, "/v1/orders/" + uuid.NewString(), http.StatusNotFound},
		{"not a UUID", alice, "/v1/orders/1", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.do(t, call{method: http.MethodGet, path: tt.path, token: tt.token})
			res.want(t, tt.want)
			if tt.want == http.StatusOK && string(res.body) != string(placed.body) {
				t.Errorf("GET = %s, want %s", res.body, placed.body)
			}
		})
	}
	// Another customer's order and a missing one are the same answer, but for the path.
	other := f.do(t, call{method: http.MethodGet, path: path, token: bob}).problem(t)
	none := f.do(t, call{method: http.MethodGet, path: "/v1/orders/" + uuid.NewString(), token: bob}).problem(t)
	if *other.Detail != *none.Detail || other.Title != none.Title || other.Type != none.Type {
		t.Errorf("another's order %+v differs from a missing one %+v", other, none)
	}
}

func TestListOrders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, alice := f.user(t, accounts.RoleCustomer)
	_, bob := f.user(t, accounts.RoleCustomer)
	mug := f.product(t, "MUG-1", 100, 1000)
	var placed []uuid.UUID
	for range 7 {
		res := f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: alice, body: items(mug.ID, 1)})
		var o gen.Order
		res.decode(t, &o)
		placed = append(placed, o.Id)
	}
	f.do(t, call{method: http.MethodPost, path: "/v1/orders", token: bob, body: items(mug.ID, 1)}).want(t, http.StatusCreated)
	slices.Reverse(placed) // newest first

	for _, limit := range []int{1, 2, 7, 20} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			t.Parallel()
			var got []uuid.UUID
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("too many pages")
				}
				res := f.do(t, call{method: http.MethodGet, path: "/v1/orders?" + q.Encode(), token: alice})
				res.want(t, http.StatusOK)
				var page gen.OrderPage
				res.decode(t, &page)
				for _, o := range page.Items {
					got = append(got, o.Id)
				}
				if page.NextCursor == nil {
					break
				}
				q.Set("cursor", *page.NextCursor)
			}
			if !slices.Equal(got, placed) {
				t.Errorf("got %v, want %v", got, placed)
			}
		})
	}
	bad := []string{"limit=0", "limit=x", "cursor=abc", "cursor=" + strings.Repeat("A", 40)}
	for _, q := range bad {
		f.do(t, call{method: http.MethodGet, path: "/v1/orders?" + q, token: alice}).want(t, http.StatusBadRequest)
	}
	// A products cursor is not an orders cursor, though both are sealed under the same key.
	f.product(t, "MUG-2", 100, 1)
	res := f.do(t, call{method: http.MethodGet, path: "/v1/products?limit=1"})
	var page gen.ProductPage
	res.decode(t, &page)
	if page.NextCursor == nil {
		t.Fatal("no next cursor")
	}
	f.do(t, call{method: http.MethodGet, path: "/v1/orders?cursor=" + url.QueryEscape(*page.NextCursor), token: alice}).want(t, http.StatusBadRequest)
}
