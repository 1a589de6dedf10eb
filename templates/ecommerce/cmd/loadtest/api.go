package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// client speaks the api's JSON over HTTP: the few operations the load test uses.
type client struct {
	base string // the api's base URL with /v1
	http *http.Client
}

// statusError is an answer with a status other than the one expected.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.method, e.path, e.status, http.StatusText(e.status), e.body)
}

// busyRetries is how often a request answered 429 (too many password hashes at once) is tried
// again, after the Retry-After it was given (at most maxBusyWait).
const (
	busyRetries = 10
	maxBusyWait = 5 * time.Second
)

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name,omitempty"`
}

// register creates a customer account; created is false when the email was taken already.
func (c *client) register(ctx context.Context, email, name, password string) (created bool, err error) {
	err = c.do(ctx, http.MethodPost, "/auth/register", "", nil, credentials{Email: email, Password: password, Name: name}, http.StatusCreated, nil)
	if se := (*statusError)(nil); errors.As(err, &se) && se.status == http.StatusConflict {
		return false, nil
	}
	return err == nil, err
}

// login returns an access token.
func (c *client) login(ctx context.Context, email, password string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.do(ctx, http.MethodPost, "/auth/login", "", nil, credentials{Email: email, Password: password}, http.StatusOK, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", errors.New("POST /auth/login: no access_token in the answer")
	}
	return out.AccessToken, nil
}

type newProduct struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
	Stock      int    `json:"stock"`
}

// createProduct creates a product and returns its ID.
func (c *client) createProduct(ctx context.Context, token string, p newProduct) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, "/products", token, nil, p, http.StatusCreated, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New("POST /products: no id in the answer")
	}
	return out.ID, nil
}

type orderItem struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

// placeOrder places an order under a fresh Idempotency-Key.
func (c *client) placeOrder(ctx context.Context, token string, items []orderItem) error {
	header := http.Header{"Idempotency-Key": {randomText()}}
	body := struct {
		Items []orderItem `json:"items"`
	}{items}
	return c.do(ctx, http.MethodPost, "/orders", token, header, body, http.StatusCreated, nil)
}

// firstPage reads the first page of the catalog.
func (c *client) firstPage(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/products?limit=20", "", nil, nil, http.StatusOK, nil)
}

// do sends body (unless nil) as JSON and decodes an answer with status want into out (unless
// nil; otherwise the body is drained, so that the connection is reused). 429s are retried.
func (c *client) do(ctx context.Context, method, path, token string, header http.Header, body any, want int, out any) error {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		wait, err := c.send(req, want, out)
		if wait < 0 || attempt == busyRetries {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("%w (waiting to retry: %w)", err, ctx.Err())
		}
	}
}

// send sends req once. wait is not negative when the api was busy (429): how long to wait
// before trying again.
func (c *client) send(req *http.Request, want int, out any) (wait time.Duration, err error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return -1, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		err := &statusError{method: req.Method, path: req.URL.Path, status: resp.StatusCode, body: string(bytes.TrimSpace(b))}
		if resp.StatusCode == http.StatusTooManyRequests {
			seconds, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			return min(time.Duration(max(seconds, 0))*time.Second, maxBusyWait), err
		}
		return -1, err
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return -1, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return -1, fmt.Errorf("%s %s: decode the answer: %w", req.Method, req.URL.Path, err)
	}
	return -1, nil
}

// randomText is 26 random base32 characters: passwords, SKUs and Idempotency-Keys.
func randomText() string { return rand.Text() }
