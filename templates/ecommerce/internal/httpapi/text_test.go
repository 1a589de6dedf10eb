package httpapi_test

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/httpapi"
)

// Text PostgreSQL cannot store (a NUL byte, invalid UTF-8) is the client's mistake: a 4xx that
// names the field, never a 500 and an error in the log. (JSON cannot carry invalid UTF-8 to the
// services, the decoder makes it U+FFFD; a query string can.) The fakes fail on such text as the
// store does, so a request that got through to them would be a 500 here too.
func TestTextPostgresCannotStoreIsRefused(t *testing.T) {
	t.Parallel()
	var logs testserve.Buffer
	f := newFixture(t, fixtureOptions{edit: func(o *httpapi.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	}})
	_, admin := f.user(t, accounts.RoleAdmin)
	p := f.product(t, "MUG-1", 100, 1)
	product := "/v1/products/" + p.ID.String()
	register := func(email, name string) map[string]string {
		return map[string]string{"email": email, "name": name, "password": "correct horse"}
	}
	create := func(sku, name, description string) map[string]any {
		return map[string]any{"sku": sku, "name": name, "description": description, "price_cents": 1, "stock": 1}
	}
	change := func(name, description string) map[string]any {
		return map[string]any{"name": name, "description": description, "price_cents": 1, "stock": 1}
	}
	tests := []struct {
		name         string
		method, path string
		token        string
		body         any
		want         int
		wantFields   []string
	}{
		{"register: NUL in the name", http.MethodPost, "/v1/auth/register", "", register("ada@example.com", "Ada\x00"), http.StatusUnprocessableEntity, []string{"name"}},
		{"register: NUL in the email", http.MethodPost, "/v1/auth/register", "", register("ada@example.com\x00", "Ada"), http.StatusUnprocessableEntity, []string{"email"}},
		// Login says only that the credentials are wrong, as for any email without an account.
		{"login: NUL in the email", http.MethodPost, "/v1/auth/login", "", map[string]string{"email": "ada@example.com\x00", "password": "correct horse"}, http.StatusUnauthorized, nil},
		{"login: only NUL", http.MethodPost, "/v1/auth/login", "", map[string]string{"email": "\x00", "password": "\x00"}, http.StatusUnauthorized, nil},
		{"search: NUL", http.MethodGet, "/v1/products?q=%00", "", nil, http.StatusBadRequest, []string{"q"}},
		{"search: NUL after text", http.MethodGet, "/v1/products?q=mug%00", "", nil, http.StatusBadRequest, []string{"q"}},
		{"search: invalid UTF-8", http.MethodGet, "/v1/products?q=%FF", "", nil, http.StatusBadRequest, []string{"q"}},
		{"search: a lone continuation byte", http.MethodGet, "/v1/products?q=caf%A9", "", nil, http.StatusBadRequest, []string{"q"}},
		{"create: NUL in the name", http.MethodPost, "/v1/products", admin, create("NEW-1", "Mug\x00", ""), http.StatusUnprocessableEntity, []string{"name"}},
		{"create: NUL in the description", http.MethodPost, "/v1/products", admin, create("NEW-2", "Mug", "\x00"), http.StatusUnprocessableEntity, []string{"description"}},
		{"create: NUL in the SKU", http.MethodPost, "/v1/products", admin, create("NEW-3\x00", "Mug", ""), http.StatusUnprocessableEntity, []string{"sku"}},
		{"update: NUL in the name", http.MethodPut, product, admin, change("\x00", ""), http.StatusUnprocessableEntity, []string{"name"}},
		{"update: NUL in the description", http.MethodPut, product, admin, change("Mug", "a\x00b"), http.StatusUnprocessableEntity, []string{"description"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.do(t, call{method: tt.method, path: tt.path, token: tt.token, body: tt.body, headers: map[string]string{"If-Match": "*"}})
			res.want(t, tt.want)
			got := res.fields(t)
			slices.Sort(got)
			if !slices.Equal(got, tt.wantFields) {
				t.Errorf("errors name %v, want %v", got, tt.wantFields)
			}
		})
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Errorf("refused text logged an error:\n%s", logs.String())
		}
	})
}
