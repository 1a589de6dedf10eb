package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/api"
	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/accounts/accountstest"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/catalog/catalogtest"
	"example.com/gopher-template/ecommerce/internal/httpapi"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/ordering/orderingtest"
	"example.com/gopher-template/ecommerce/internal/password"
	"example.com/gopher-template/ecommerce/internal/token"
)

// cheap argon2id parameters keep the tests fast; the code paths do not depend on the cost.
var cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

var (
	docOnce   sync.Once
	docRouter routers.Router
	errDoc    error
)

// document returns a router over api/openapi.yaml, the document every request and response of
// the handler tests is validated against.
func document(t testing.TB) routers.Router {
	t.Helper()
	docOnce.Do(func() {
		var doc *openapi3.T
		doc, errDoc = openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
		if errDoc == nil {
			docRouter, errDoc = legacy.NewRouter(doc)
		}
	})
	if errDoc != nil {
		t.Fatalf("load the OpenAPI document: %v", errDoc)
	}
	return docRouter
}

// fixture is the API over in-memory repositories.
type fixture struct {
	handler  http.Handler
	products *catalogtest.Memory
	orders   *orderingtest.Memory
	accounts *accountstest.Memory
	tokens   *token.Manager
	catalog  *catalog.Service
	opts     httpapi.Options
	// validate turns off the document checks (benchmarks measure the handler alone).
	validate bool
}

type fixtureOptions struct {
	// wrapCatalog, if set, wraps the catalog repository the service uses.
	wrapCatalog func(catalog.Repository) catalog.Repository
	hasher      accounts.Hasher
	edit        func(*httpapi.Options)
	threshold   int
}

func newFixture(tb testing.TB, fo fixtureOptions) *fixture {
	tb.Helper()
	f := &fixture{
		products: catalogtest.NewMemory(nil),
		accounts: accountstest.NewMemory(),
		validate: true,
	}
	f.orders = orderingtest.NewMemory(f.products, nil)
	var err error
	f.tokens, err = token.New(token.Options{Secret: []byte("test-secret-test-secret-test-secret!"), Issuer: "shop", Audience: "shop-api", TTL: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	hasher := fo.hasher
	if hasher == nil {
		h, err := password.NewHasher(password.HasherOptions{Params: cheap})
		if err != nil {
			tb.Fatal(err)
		}
		hasher = h
	}
	var repo catalog.Repository = f.products
	if fo.wrapCatalog != nil {
		repo = fo.wrapCatalog(repo)
	}
	key := []byte("cursor-key-cursor-key")
	f.catalog, err = catalog.NewService(catalog.Options{Repo: repo, CursorKey: key})
	if err != nil {
		tb.Fatal(err)
	}
	acc, err := accounts.NewService(tb.Context(), accounts.Options{Repo: f.accounts, Hasher: hasher, Tokens: f.tokens})
	if err != nil {
		tb.Fatal(err)
	}
	ord, err := ordering.NewService(ordering.Options{Repo: f.orders, CursorKey: key, LowStockThreshold: fo.threshold})
	if err != nil {
		tb.Fatal(err)
	}
	opts := httpapi.Options{
		Logger:   slog.New(slog.DiscardHandler),
		Catalog:  f.catalog,
		Accounts: acc,
		Orders:   ord,
		Tokens:   f.tokens,
	}
	if fo.edit != nil {
		fo.edit(&opts)
	}
	f.opts = opts
	f.handler, err = httpapi.New(tb.Context(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// user makes an account straight in the repository (no password hashing) and returns a token
// for it.
func (f *fixture) user(tb testing.TB, role accounts.Role) (uuid.UUID, string) {
	tb.Helper()
	c, err := f.accounts.Create(context.Background(), accounts.Customer{Email: uuid.NewString() + "@example.com", Name: "Test", Role: role, PasswordHash: "x"})
	if err != nil {
		tb.Fatal(err)
	}
	tok, _, err := f.tokens.Issue(c.ID, string(role))
	if err != nil {
		tb.Fatal(err)
	}
	return c.ID, tok
}

// product makes a product straight in the repository.
func (f *fixture) product(tb testing.TB, sku string, priceCents int64, stock int) catalog.Product {
	tb.Helper()
	p, err := f.products.Create(context.Background(), catalog.NewProduct{SKU: sku, Name: "Product " + sku, PriceCents: priceCents, Stock: stock})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// call is one request to the API.
type call struct {
	method, path string
	// body is sent as it is if it is a string, else as its JSON encoding.
	body    any
	token   string
	headers map[string]string
	// undocumented marks a route outside the document (the docs, extra handlers): only its
	// errors are checked, as problems.
	undocumented bool
}

// result is a response.
type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends the call and checks the exchange against the document: a response must be
// documented for its operation (status, headers, body); a request the document refuses must get
// a 4xx; an error outside the document's routes (404, 405) must still be a problem.
func (f *fixture) do(tb testing.TB, c call) result {
	tb.Helper()
	var body []byte
	switch b := c.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			tb.Fatal(err)
		}
	}
	newReq := func() *http.Request {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req := httptest.NewRequestWithContext(tb.Context(), c.method, c.path, r)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		for k, v := range c.headers {
			if v == "" {
				req.Header.Del(k)
			} else {
				req.Header.Set(k, v)
			}
		}
		return req
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, newReq())
	res := result{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	switch {
	case !f.validate:
	case c.undocumented:
		if res.status >= 400 {
			checkProblem(tb, c.method+" "+c.path, res)
		}
	default:
		checkAgainstDocument(tb, newReq(), res)
	}
	return res
}

func checkAgainstDocument(tb testing.TB, req *http.Request, res result) {
	tb.Helper()
	what := fmt.Sprintf("%s %s → %d %s", req.Method, req.URL, res.status, res.body)
	route, pathParams, err := document(tb).FindRoute(req)
	if err != nil {
		// Not an operation of the document: only errors are expected here, as problems.
		if res.status < 400 {
			tb.Errorf("%s: not an operation of the document, but answered %d", what, res.status)
		}
		checkProblem(tb, what, res)
		return
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{
			MultiError: true,
			// The document's bearerAuth: a token must be there; whether it is valid is the
			// server's business.
			AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
				if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
					return fmt.Errorf("no bearer token")
				}
				return nil
			},
		},
	}
	if reqErr := openapi3filter.ValidateRequest(ctx, in); reqErr != nil && (res.status < 400 || res.status >= 500) {
		tb.Errorf("%s: the document refuses the request (%v), but the server answered %d", what, reqErr, res.status)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.status,
		Header:                 res.header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(res.body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		tb.Errorf("%s: the response does not match the document: %v", what, err)
	}
	if res.status >= 400 {
		checkProblem(tb, what, res)
	}
}

// checkProblem checks that an error response is an RFC 9457 problem.
func checkProblem(tb testing.TB, what string, res result) {
	tb.Helper()
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
		return
	}
	var p gen.Problem
	if err := json.Unmarshal(res.body, &p); err != nil {
		tb.Errorf("%s: the problem does not decode: %v", what, err)
		return
	}
	if p.Status != res.status || p.Title == "" || p.Type == "" || p.Instance == nil {
		tb.Errorf("%s: problem %+v lacks type, title, instance or the right status", what, p)
	}
}

func (r result) decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r result) problem(tb testing.TB) gen.Problem {
	tb.Helper()
	var p gen.Problem
	r.decode(tb, &p)
	return p
}

// fields returns the field names of a validation problem's errors.
func (r result) fields(tb testing.TB) []string {
	tb.Helper()
	p := r.problem(tb)
	if p.Errors == nil {
		return nil
	}
	out := make([]string, 0, len(*p.Errors))
	for _, e := range *p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func (r result) want(tb testing.TB, status int) {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}
