//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/ecommerce/internal/config"
	"example.com/gopher-template/ecommerce/internal/metrics"
	"example.com/gopher-template/ecommerce/internal/testenv"
)

// TestServe runs the API (run, on real ports) against a fresh, migrated database: an account
// promoted to admin by the promote command creates a product, a customer buys it, and the
// document, the Swagger UI and the metrics answer; then a clean exit when its context ends.
func TestServe(t *testing.T) {
	t.Parallel()
	dbURL := testenv.DatabaseURL(t)
	testenv.DBAt(t, dbURL, 2) // migrated
	httpAddr := testserve.FreeAddr(t)
	vars := map[string]string{
		"DATABASE_URL":      dbURL,
		"HTTP_ADDR":         httpAddr,
		"ADMIN_ADDR":        testserve.FreeAddr(t),
		"JWT_SECRET":        strings.Repeat("s", 32),
		"ARGON2_MEMORY_KIB": "8192",
		"ARGON2_ITERATIONS": "1",
	}
	getenv := func(k string) string { return vars[k] }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	exited := make(chan error, 1)
	var logs testserve.Buffer
	go func() { exited <- run(ctx, []string{"api"}, getenv, &bytes.Buffer{}, &logs) }()
	testserve.WaitHealthy(t, httpAddr, exited)
	base := "http://" + httpAddr

	for _, email := range []string{"admin@example.com", "buyer@example.com"} {
		if code, body := call(t, http.MethodPost, base+"/v1/auth/register", "", `{"email":"`+email+`","name":"A","password":"correct horse battery"}`); code != http.StatusCreated {
			t.Fatalf("register %s = %d %s", email, code, body)
		}
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"api", "promote", "Admin@Example.com"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("promote: %v", err)
	}
	if err := run(t.Context(), []string{"api", "promote", "nobody@example.com"}, getenv, &out, io.Discard); err == nil {
		t.Error("promote of an unknown email succeeded")
	}
	admin, buyer := login(t, base, "admin@example.com"), login(t, base, "buyer@example.com")

	code, body := call(t, http.MethodPost, base+"/v1/products", admin, `{"sku":"MUG-1","name":"Mug","description":"","price_cents":1200,"stock":2}`)
	if code != http.StatusCreated {
		t.Fatalf("create product = %d %s", code, body)
	}
	var product struct{ ID string }
	_ = json.Unmarshal([]byte(body), &product)
	if code, body := call(t, http.MethodPost, base+"/v1/products", buyer, `{"sku":"MUG-2","name":"Mug","description":"","price_cents":1200,"stock":2}`); code != http.StatusForbidden {
		t.Errorf("a customer creating a product = %d %s, want 403", code, body)
	}
	if code, body := call(t, http.MethodPost, base+"/v1/orders", buyer, `{"items":[{"product_id":"`+product.ID+`","quantity":2}]}`); code != http.StatusCreated {
		t.Fatalf("order = %d %s", code, body)
	}
	if code, body := call(t, http.MethodPost, base+"/v1/orders", buyer, `{"items":[{"product_id":"`+product.ID+`","quantity":1}]}`); code != http.StatusConflict || !strings.Contains(body, product.ID) {
		t.Errorf("order past the stock = %d %s, want 409 naming the product", code, body)
	}
	for path, want := range map[string]string{"/openapi.json": `"openapi"`, "/swagger/": "swagger", "/readyz": `"postgres"`} {
		if code, body := call(t, http.MethodGet, base+path, "", ""); code != http.StatusOK || !strings.Contains(strings.ToLower(body), want) {
			t.Errorf("GET %s = %d %.200s", path, code, body)
		}
	}
	if _, body := call(t, http.MethodGet, base+"/metrics", "", ""); !strings.Contains(body, metrics.Namespace(config.AppName)+"_orders_placed_total 1") {
		t.Errorf("/metrics lacks the order placed:\n%.3000s", body)
	}
	if code, _ := call(t, http.MethodGet, "http://"+vars["ADMIN_ADDR"]+"/debug/pprof/", "", ""); code != http.StatusOK {
		t.Errorf("admin pprof = %d", code)
	}

	cancel()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if !strings.Contains(logs.String(), `"request_id"`) {
		t.Errorf("the access log has no request IDs:\n%.2000s", logs.String())
	}
}

// TestServeRefusesAnUnmigratedDatabase: the API never migrates on its own.
func TestServeRefusesAnUnmigratedDatabase(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": testenv.DatabaseURL(t), "HTTP_ADDR": testserve.FreeAddr(t), "JWT_SECRET": strings.Repeat("s", 32)}
	err := run(t.Context(), []string{"api"}, func(k string) string { return vars[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("run on an empty database = %v, want an error telling to migrate", err)
	}
}

func login(t *testing.T, base, email string) string {
	t.Helper()
	code, body := call(t, http.MethodPost, base+"/v1/auth/login", "", `{"email":"`+email+`","password":"correct horse battery"}`)
	if code != http.StatusOK {
		t.Fatalf("login %s = %d %s", email, code, body)
	}
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &token); err != nil || token.AccessToken == "" {
		t.Fatalf("login body %s: %v", body, err)
	}
	return token.AccessToken
}

func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
