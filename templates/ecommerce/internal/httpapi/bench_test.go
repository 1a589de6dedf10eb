package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"example.com/gopher-template/ecommerce/internal/accounts"
)

// The handler alone (no document checks) over the in-memory repositories.

func BenchmarkListProducts(b *testing.B) {
	f := newFixture(b, fixtureOptions{})
	f.validate = false
	for i := range 200 {
		f.product(b, fmt.Sprintf("SKU-%03d", i), int64(i*10), i%4)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/v1/products?limit=20&sort=price&min_price=100&in_stock=true", nil)
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkPlaceOrder(b *testing.B) {
	f := newFixture(b, fixtureOptions{})
	f.validate = false
	_, tok := f.user(b, accounts.RoleCustomer)
	mug := f.product(b, "MUG-1", 1250, 1<<30)
	cup := f.product(b, "CUP-1", 300, 1<<30)
	body := []byte(fmt.Sprintf(`{"items":[{"product_id":%q,"quantity":1},{"product_id":%q,"quantity":2}]}`, mug.ID, cup.ID))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req := httptest.NewRequestWithContext(b.Context(), http.MethodPost, "/v1/orders", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
