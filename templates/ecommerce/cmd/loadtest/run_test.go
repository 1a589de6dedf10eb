package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery staple"
)

// fakeAPI is the part of the api the load test uses, in memory, checking what it is sent.
type fakeAPI struct {
	t *testing.T
	// failEvery: every failEvery-th order is answered 409 (0: none); busyRegistrations: the
	// first registrations are answered 429; adminRole: the admin's role.
	failEvery         int
	busyRegistrations int
	adminRole         string

	mu         sync.Mutex
	accounts   map[string]string // email → password
	products   map[string]int    // id → stock
	keys       map[string]bool   // Idempotency-Keys seen
	orders     int
	lists      int
	busyLeft   int
	registered int
}

func newFakeAPI(t *testing.T) *fakeAPI {
	return &fakeAPI{
		t: t, adminRole: "admin",
		accounts: map[string]string{adminEmail: adminPassword},
		products: map[string]int{}, keys: map[string]bool{},
	}
}

func (f *fakeAPI) start() *httptest.Server {
	f.busyLeft = f.busyRegistrations
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/auth/register", f.register)
	mux.HandleFunc("POST /v1/auth/login", f.login)
	mux.HandleFunc("POST /v1/products", f.createProduct)
	mux.HandleFunc("GET /v1/products", f.listProducts)
	mux.HandleFunc("POST /v1/orders", f.placeOrder)
	srv := httptest.NewServer(mux)
	f.t.Cleanup(srv.Close)
	return srv
}

func (f *fakeAPI) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Header.Get("Content-Type") != "application/json" {
		problem(w, http.StatusUnsupportedMediaType)
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		f.t.Errorf("%s %s: %v", r.Method, r.URL.Path, err)
		problem(w, http.StatusBadRequest)
		return false
	}
	return true
}

func problem(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"type":"about:blank","title":%q,"status":%d}`, http.StatusText(status), status)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// role is the caller's role, from the fake tokens login hands out ("token:<role>:<email>").
func (f *fakeAPI) role(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer token:")
	if !ok {
		return ""
	}
	role, _, _ := strings.Cut(token, ":")
	return role
}

func (f *fakeAPI) register(w http.ResponseWriter, r *http.Request) {
	var in struct{ Email, Name, Password string }
	if !f.decode(w, r, &in) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busyLeft > 0 {
		f.busyLeft--
		w.Header().Set("Retry-After", "0")
		problem(w, http.StatusTooManyRequests)
		return
	}
	if in.Email == "" || in.Name == "" || len(in.Password) < 8 {
		problem(w, http.StatusUnprocessableEntity)
		return
	}
	if _, taken := f.accounts[in.Email]; taken {
		problem(w, http.StatusConflict)
		return
	}
	f.accounts[in.Email] = in.Password
	f.registered++
	reply(w, http.StatusCreated, map[string]string{"id": fmt.Sprint(len(f.accounts)), "email": in.Email, "name": in.Name, "role": "customer"})
}

func (f *fakeAPI) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ Email, Password string }
	if !f.decode(w, r, &in) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if password, ok := f.accounts[in.Email]; !ok || password != in.Password {
		w.Header().Set("WWW-Authenticate", "Bearer")
		problem(w, http.StatusUnauthorized)
		return
	}
	role := "customer"
	if in.Email == adminEmail {
		role = f.adminRole
	}
	reply(w, http.StatusOK, map[string]any{"access_token": "token:" + role + ":" + in.Email, "token_type": "Bearer", "expires_in": 3600})
}

func (f *fakeAPI) createProduct(w http.ResponseWriter, r *http.Request) {
	if f.role(r) != "admin" {
		problem(w, http.StatusForbidden)
		return
	}
	var in struct {
		SKU, Name  string
		PriceCents int64 `json:"price_cents"`
		Stock      int
	}
	if !f.decode(w, r, &in) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("00000000-0000-0000-0000-%012d", len(f.products)+1)
	f.products[id] = in.Stock
	reply(w, http.StatusCreated, map[string]any{"id": id, "sku": in.SKU, "stock": in.Stock})
}

func (f *fakeAPI) listProducts(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("limit") != "20" {
		f.t.Errorf("GET /v1/products?%s, want limit=20", r.URL.RawQuery)
	}
	f.mu.Lock()
	f.lists++
	f.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{"items": []any{}, "next_cursor": nil})
}

func (f *fakeAPI) placeOrder(w http.ResponseWriter, r *http.Request) {
	if f.role(r) != "customer" {
		problem(w, http.StatusForbidden)
		return
	}
	var in struct {
		Items []struct {
			ProductID string `json:"product_id"`
			Quantity  int
		}
	}
	if !f.decode(w, r, &in) {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	defer f.mu.Unlock()
	if key == "" || f.keys[key] {
		f.t.Errorf("POST /v1/orders with Idempotency-Key %q: missing or used before", key)
	}
	f.keys[key] = true
	seen := map[string]bool{}
	for _, it := range in.Items {
		if _, ok := f.products[it.ProductID]; !ok || seen[it.ProductID] || it.Quantity != 1 {
			f.t.Errorf("order line %+v: unknown product, repeated, or not one unit", it)
		}
		seen[it.ProductID] = true
	}
	f.orders++
	if f.failEvery > 0 && f.orders%f.failEvery == 0 {
		problem(w, http.StatusConflict)
		return
	}
	for _, it := range in.Items {
		f.products[it.ProductID] -= it.Quantity
	}
	reply(w, http.StatusCreated, map[string]any{"id": fmt.Sprint(f.orders), "status": "placed"})
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var adminEnv = map[string]string{"LOADTEST_ADMIN_EMAIL": adminEmail, "LOADTEST_ADMIN_PASSWORD": adminPassword}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, o options)
		wantErr string
	}{
		{
			name: "defaults, the admin from the environment",
			env:  adminEnv,
			check: func(t *testing.T, o options) {
				t.Helper()
				if o.api != "http://127.0.0.1:8080" || o.adminEmail != adminEmail || o.adminPassword != adminPassword || o.products != 20 ||
					o.stock != 1_000_000 || o.clients != 16 || o.lines != 2 || o.duration != 10*time.Second ||
					o.listDuration != 5*time.Second || o.timeout != 10*time.Second || o.jsonOut || o.registerAdmin {
					t.Errorf("options = %+v", o)
				}
			},
		},
		{
			name: "flags",
			args: []string{"-api", "https://shop.example.com/", "-admin-email", "a@example.com", "-admin-password", "pw",
				"-products", "3", "-clients", "2", "-lines", "3", "-duration", "1s", "-list-duration", "0", "-json"},
			env: map[string]string{"API_URL": "http://ignored:1"},
			check: func(t *testing.T, o options) {
				t.Helper()
				if o.api != "https://shop.example.com" || o.adminEmail != "a@example.com" || o.products != 3 || o.clients != 2 ||
					o.lines != 3 || o.duration != time.Second || o.listDuration != 0 || !o.jsonOut {
					t.Errorf("options = %+v", o)
				}
			},
		},
		{
			name: "API_URL",
			env:  map[string]string{"API_URL": "http://10.0.0.1:9000", "LOADTEST_ADMIN_EMAIL": "a", "LOADTEST_ADMIN_PASSWORD": "b"},
			check: func(t *testing.T, o options) {
				t.Helper()
				if o.api != "http://10.0.0.1:9000" {
					t.Errorf("api = %q", o.api)
				}
			},
		},
		{name: "no admin", env: map[string]string{}, wantErr: "LOADTEST_ADMIN_EMAIL"},
		{name: "no admin password", env: map[string]string{"LOADTEST_ADMIN_EMAIL": adminEmail}, wantErr: "LOADTEST_ADMIN_PASSWORD"},
		{name: "not a URL", args: []string{"-api", "127.0.0.1:8080"}, env: adminEnv, wantErr: "-api"},
		{name: "no host", args: []string{"-api", "http://"}, env: adminEnv, wantErr: "-api"},
		{name: "a query", args: []string{"-api", "http://h/?x=1"}, env: adminEnv, wantErr: "-api"},
		{name: "no products", args: []string{"-products", "0"}, env: adminEnv, wantErr: "products"},
		{name: "no stock", args: []string{"-stock", "0"}, env: adminEnv, wantErr: "stock"},
		{name: "no clients", args: []string{"-clients", "0"}, env: adminEnv, wantErr: "clients"},
		{name: "more lines than products", args: []string{"-products", "2", "-lines", "3"}, env: adminEnv, wantErr: "lines"},
		{name: "short run", args: []string{"-duration", "10ms"}, env: adminEnv, wantErr: "duration"},
		{name: "short list", args: []string{"-list-duration", "1ms"}, env: adminEnv, wantErr: "list-duration"},
		{name: "no timeout", args: []string{"-timeout", "0s"}, env: adminEnv, wantErr: "timeout"},
		{name: "unknown flag", args: []string{"-bogus"}, env: adminEnv, wantErr: "bogus"},
		{name: "stray argument", args: []string{"now"}, env: adminEnv, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := parseFlags(append([]string{"loadtest"}, tt.args...), env(tt.env), &bytes.Buffer{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFlags error = %v, want one mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func TestRunAgainstAFakeAPI(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t)
	f.busyRegistrations = 2 // the first registrations wait for their turn, as HASH_CONCURRENCY makes them
	srv := f.start()

	var stdout, stderr bytes.Buffer
	args := []string{"loadtest", "-api", srv.URL, "-products", "5", "-clients", "3", "-lines", "2", "-duration", "200ms", "-list-duration", "200ms"}
	if err := run(t.Context(), args, env(adminEnv), &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"5 products, 3 clients, 2 lines per order", "POST /v1/orders", "GET /v1/products?limit=20", "p99 ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.products) != 5 || f.registered != 3 || f.orders == 0 || f.lists == 0 || len(f.keys) != f.orders {
		t.Errorf("products %d, customers %d, orders %d (keys %d), lists %d", len(f.products), f.registered, f.orders, len(f.keys), f.lists)
	}
	for id, stock := range f.products {
		if stock >= 1_000_000 {
			t.Errorf("product %s: stock %d, none taken", id, stock)
		}
	}
}

func TestRunJSON(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t).start()
	var stdout bytes.Buffer
	args := []string{"loadtest", "-api", srv.URL, "-products", "2", "-clients", "2", "-duration", "150ms", "-list-duration", "0", "-json"}
	if err := run(t.Context(), args, env(adminEnv), &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var res result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, stdout.String())
	}
	if res.Orders.OK == 0 || res.Orders.Requests != res.Orders.OK || res.Orders.OKPerSecond <= 0 || res.Orders.P50Ms <= 0 ||
		res.Orders.P99Ms < res.Orders.P50Ms || res.List != nil || res.Clients != 2 {
		t.Errorf("result = %+v", res)
	}
}

func TestRunFailsAfterItsReportWhenOrdersFail(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t)
	f.failEvery = 3
	srv := f.start()
	var stdout bytes.Buffer
	args := []string{"loadtest", "-api", srv.URL, "-products", "2", "-clients", "2", "-duration", "150ms", "-list-duration", "0"}
	err := run(t.Context(), args, env(adminEnv), &stdout, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "requests failed (409 ×") {
		t.Fatalf("run = %v, want the failed orders counted by status", err)
	}
	if !strings.Contains(stdout.String(), "POST /v1/orders failures: 409 ×") {
		t.Errorf("report:\n%s", stdout.String())
	}
}

func TestRunSetUpErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		role    string
		wantErr string
	}{
		{"wrong password", map[string]string{"LOADTEST_ADMIN_EMAIL": adminEmail, "LOADTEST_ADMIN_PASSWORD": "wrong"}, "admin", "log in as the admin"},
		{"not an admin", adminEnv, "customer", "is admin@example.com an admin?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAPI(t)
			f.adminRole = tt.role
			srv := f.start()
			args := []string{"loadtest", "-api", srv.URL, "-duration", "100ms"}
			if err := run(t.Context(), args, env(tt.env), &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run = %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestRegisterAdmin(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t)
	delete(f.accounts, adminEmail)
	srv := f.start()
	args := []string{"loadtest", "-api", srv.URL, "-register-admin"}
	for _, want := range []string{"admin@example.com registered", "admin@example.com exists already"} {
		var stdout bytes.Buffer
		if err := run(t.Context(), args, env(adminEnv), &stdout, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout = %q, want %q", stdout.String(), want)
		}
	}
	if f.orders != 0 || len(f.products) != 0 {
		t.Error("-register-admin ran a load test")
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"median of even: nearest rank, the lower", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Fatalf("percentile(%v, %g) = %s, want %s", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestErrorKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{&statusError{method: "POST", path: "/v1/orders", status: 503}, "503"},
		{fmt.Errorf("wrapped: %w", &statusError{status: 409}), "409"},
		{fmt.Errorf("POST /v1/orders: %w", timeoutError{}), "timeout"},
		{fmt.Errorf("dial: connection refused"), "network"},
	}
	for _, tt := range tests {
		if got := errorKind(tt.err); got != tt.want {
			t.Errorf("errorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// timeoutError is a net.Error that timed out, as the client's Timeout gives.
type timeoutError struct{}

func (timeoutError) Error() string   { return "timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
