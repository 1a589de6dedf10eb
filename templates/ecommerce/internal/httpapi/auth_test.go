package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/api"
	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
	"example.com/gopher-template/ecommerce/internal/password"
	"example.com/gopher-template/ecommerce/internal/token"
)

func TestRegisterAndLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	reg := f.do(t, call{method: http.MethodPost, path: "/v1/auth/register",
		body: map[string]string{"email": "Ada@Example.com", "name": "Ada", "password": "correct horse"}})
	reg.want(t, http.StatusCreated)
	var acct gen.Account
	reg.decode(t, &acct)
	if acct.Email != "ada@example.com" || acct.Role != gen.Customer || acct.Id == uuid.Nil {
		t.Errorf("registered %+v, want ada@example.com, a customer with an ID", acct)
	}

	tests := []struct {
		name, email, password string
		want                  int
	}{
		{"right", "ada@example.com", "correct horse", http.StatusOK},
		{"email in another case", "ADA@example.com", "correct horse", http.StatusOK},
		{"wrong password", "ada@example.com", "wrong horse", http.StatusUnauthorized},
		{"unknown email", "bob@example.com", "correct horse", http.StatusUnauthorized},
		{"over-long password", "ada@example.com", strings.Repeat("x", password.MaxLength+1), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.do(t, call{method: http.MethodPost, path: "/v1/auth/login", body: map[string]string{"email": tt.email, "password": tt.password}})
			res.want(t, tt.want)
			if tt.want == http.StatusUnauthorized {
				if res.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if d := res.problem(t).Detail; d == nil || *d != "wrong email or password" {
					t.Errorf("detail %v: the answer must not tell which of the two is wrong", d)
				}
				return
			}
			var tok gen.AccessToken
			res.decode(t, &tok)
			p, err := f.tokens.Parse(tok.AccessToken)
			if err != nil || p.Subject != acct.Id || p.Role != "customer" || tok.TokenType != gen.Bearer || tok.ExpiresIn < 3500 {
				t.Errorf("token %+v parses to %+v, %v", tok, p, err)
			}
			if res.header.Get("Cache-Control") != "no-store" {
				t.Error("a token response without Cache-Control: no-store")
			}
			// The token works.
			f.do(t, call{method: http.MethodGet, path: "/v1/orders", token: tok.AccessToken}).want(t, http.StatusOK)
		})
	}
}

func TestRegisterRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.do(t, call{method: http.MethodPost, path: "/v1/auth/register",
		body: map[string]string{"email": "taken@example.com", "name": "Ada", "password": "correct horse"}}).want(t, http.StatusCreated)
	tests := []struct {
		name       string
		body       any
		want       int
		wantFields []string
	}{
		{"taken email, other case", map[string]string{"email": "TAKEN@example.com", "name": "Bob", "password": "correct horse"}, http.StatusConflict, nil},
		{"everything wrong", map[string]string{"email": "not-an-email", "name": "", "password": "short"}, http.StatusUnprocessableEntity, []string{"email", "name", "password"}},
		{"password too long", map[string]string{"email": "c@example.com", "name": "C", "password": strings.Repeat("x", 129)}, http.StatusUnprocessableEntity, []string{"password"}},
		{"unknown field", `{"email":"d@example.com","name":"D","password":"correct horse","role":"admin"}`, http.StatusBadRequest, nil},
		{"not JSON", `email=d@example.com`, http.StatusBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.do(t, call{method: http.MethodPost, path: "/v1/auth/register", body: tt.body})
			res.want(t, tt.want)
			if got := res.fields(t); !slices.Equal(got, tt.wantFields) {
				t.Errorf("errors name %v, want %v", got, tt.wantFields)
			}
		})
	}
}

// busyHasher has no room for any password check.
type busyHasher struct{}

func (busyHasher) Hash(context.Context, string) (string, error) { return "$argon2id$dummy", nil }
func (busyHasher) Verify(context.Context, string, string) error { return password.ErrBusy }

func TestLoginWhenBusy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{hasher: busyHasher{}})
	for _, email := range []string{"nobody@example.com"} {
		res := f.do(t, call{method: http.MethodPost, path: "/v1/auth/login", body: map[string]string{"email": email, "password": "correct horse"}})
		res.want(t, http.StatusTooManyRequests)
		if res.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
}

// Every operation the document protects answers 401 without a token or with a bad one, 403 to
// a role it does not admit, and lets its roles through: the middlewares are built from the
// document, so this also proves they are attached to the right routes.
func TestEveryProtectedOperationChecksTokenAndRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	_, customer := f.user(t, accounts.RoleCustomer)
	_, admin := f.user(t, accounts.RoleAdmin)
	other, err := token.New(token.Options{Secret: []byte("another-secret-another-secret-!!"), Issuer: "shop", Audience: "shop-api", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := other.Issue(uuid.New(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	oddRole, _, err := f.tokens.Issue(uuid.New(), "superuser")
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[accounts.Role]string{accounts.RoleCustomer: customer, accounts.RoleAdmin: admin}
	protected := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				continue
			}
			protected++
			url := "/v1" + strings.ReplaceAll(path, "{id}", uuid.NewString())
			t.Run(method+" "+path, func(t *testing.T) {
				t.Parallel()
				for name, tok := range map[string]string{"no token": "", "forged": forged, "unknown role": oddRole, "garbage": "x.y.z"} {
					res := f.do(t, call{method: method, path: url, token: tok, body: "{}"})
					if res.status != http.StatusUnauthorized || !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("%s: %d, WWW-Authenticate %q; want 401 with a Bearer challenge", name, res.status, res.header.Get("WWW-Authenticate"))
					}
				}
				roles, _ := op.Extensions["x-roles"].([]any)
				for role, tok := range tokens {
					admitted := slices.Contains(roles, any(string(role)))
					res := f.do(t, call{method: method, path: url, token: tok, body: "{}"})
					switch {
					case admitted && (res.status == http.StatusUnauthorized || res.status == http.StatusForbidden):
						t.Errorf("%s: %d, but x-roles admits it", role, res.status)
					case !admitted && res.status != http.StatusForbidden:
						t.Errorf("%s: %d, want 403", role, res.status)
					}
				}
			})
		}
	}
	if protected != 6 {
		t.Errorf("%d protected operations, want 6", protected)
	}
}
