package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type options struct {
	api           string // base URL, without /v1
	adminEmail    string
	adminPassword string
	registerAdmin bool
	products      int
	stock         int
	clients       int
	lines         int
	duration      time.Duration
	listDuration  time.Duration
	timeout       time.Duration
	jsonOut       bool
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.api, "api", cmp.Or(getenv("API_URL"), "http://127.0.0.1:8080"), "base URL of the api (env API_URL)")
	fs.StringVar(&o.adminEmail, "admin-email", getenv("LOADTEST_ADMIN_EMAIL"), "email of an admin account, to create the products (env LOADTEST_ADMIN_EMAIL)")
	fs.StringVar(&o.adminPassword, "admin-password", getenv("LOADTEST_ADMIN_PASSWORD"), "its password (env LOADTEST_ADMIN_PASSWORD, which keeps it out of the process list)")
	fs.BoolVar(&o.registerAdmin, "register-admin", false, "only register the admin account (a customer until `api promote` makes it an admin), then exit")
	fs.IntVar(&o.products, "products", 20, "products to create")
	fs.IntVar(&o.stock, "stock", 1_000_000, "units of stock of each product")
	fs.IntVar(&o.clients, "clients", 16, "customers placing orders at once, then clients reading the catalog at once")
	fs.IntVar(&o.lines, "lines", 2, "products per order, one unit each")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to place orders")
	fs.DurationVar(&o.listDuration, "list-duration", 5*time.Second, "how long to read the catalog afterwards (0 skips it)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "limit of one request")
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as one JSON line")
	if err := fs.Parse(args[1:]); err != nil {
		return options{}, fmt.Errorf("flags: %w", err)
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("flags: unexpected arguments %q", fs.Args())
	}
	u, err := url.Parse(o.api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return options{}, fmt.Errorf("flags: -api %q: want an http:// or https:// base URL", o.api)
	}
	o.api = strings.TrimSuffix(o.api, "/")
	if o.adminEmail == "" || o.adminPassword == "" {
		return options{}, errors.New("flags: an admin account is needed to create products: set LOADTEST_ADMIN_EMAIL and LOADTEST_ADMIN_PASSWORD (or -admin-email and -admin-password); make loadtest-admin registers and promotes it")
	}
	if o.products < 1 || o.products > 10_000 || o.stock < 1 || o.stock > 1_000_000_000 ||
		o.clients < 1 || o.clients > 1024 || o.lines < 1 || o.lines > min(o.products, 50) {
		return options{}, errors.New("flags: need 1 <= products <= 10000, 1 <= stock <= 1000000000, 1 <= clients <= 1024 and 1 <= lines <= min(products, 50)")
	}
	if o.duration < 100*time.Millisecond || o.duration > 10*time.Minute ||
		(o.listDuration != 0 && o.listDuration < 100*time.Millisecond) || o.listDuration > 10*time.Minute || o.timeout <= 0 {
		return options{}, errors.New("flags: need 100ms <= duration <= 10m, list-duration 0 or within the same range, and a positive timeout")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	c := newClient(o.api, o.timeout, o.clients)

	if o.registerAdmin {
		created, err := c.register(ctx, o.adminEmail, "Load test admin", o.adminPassword)
		if err != nil {
			return fmt.Errorf("register the admin account: %w", err)
		}
		state := "exists already"
		if created {
			state = "registered"
		}
		_, err = fmt.Fprintf(stdout, "%s %s; `api promote %s` makes it an admin (make loadtest-admin does)\n", o.adminEmail, state, o.adminEmail)
		return err
	}

	started := time.Now()
	products, tokens, err := setUp(ctx, c, o)
	if err != nil {
		return err
	}
	logger.InfoContext(ctx, "set up", slog.Int("products", len(products)), slog.Int("customers", len(tokens)),
		slog.Duration("took", time.Since(started).Round(time.Millisecond)))

	res := result{API: o.api, Products: o.products, Clients: o.clients, Lines: o.lines}
	res.Orders = placeOrders(ctx, c, products, tokens, o.lines, o.duration)
	if o.listDuration > 0 && ctx.Err() == nil {
		list := listProducts(ctx, c, o.clients, o.listDuration)
		res.List = &list
	}
	if err := res.write(stdout, o.jsonOut); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	return res.failure()
}

// setUp logs in as the admin, creates the products and registers and logs in the customers. It
// returns the products' IDs and the customers' access tokens.
func setUp(ctx context.Context, c *client, o options) (products, tokens []string, err error) {
	admin, err := c.login(ctx, o.adminEmail, o.adminPassword)
	if err != nil {
		return nil, nil, fmt.Errorf("log in as the admin %s (make loadtest-admin registers and promotes it): %w", o.adminEmail, err)
	}
	run := strings.ToLower(randomText()[:10])
	products = make([]string, o.products)
	for i := range products {
		id, err := c.createProduct(ctx, admin, newProduct{
			SKU:        fmt.Sprintf("LT-%s-%05d", run, i),
			Name:       fmt.Sprintf("Load test product %d", i),
			PriceCents: int64(100 + i),
			Stock:      o.stock,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("create product %d (is %s an admin? make loadtest-admin): %w", i, o.adminEmail, err)
		}
		products[i] = id
	}
	// Each registration and login costs the api an argon2id hash: a few at a time, so that its
	// HASH_CONCURRENCY does not turn them away.
	tokens = make([]string, o.clients)
	err = forEach(ctx, len(tokens), min(len(tokens), 4), func(ctx context.Context, i int) error {
		email := fmt.Sprintf("loadtest-%s-%d@example.com", run, i)
		password := randomText()
		if _, err := c.register(ctx, email, fmt.Sprintf("Load test customer %d", i), password); err != nil {
			return fmt.Errorf("register customer %d: %w", i, err)
		}
		token, err := c.login(ctx, email, password)
		if err != nil {
			return fmt.Errorf("log in customer %d: %w", i, err)
		}
		tokens[i] = token
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return products, tokens, nil
}

// newClient is an API client whose connection pool fits concurrency clients.
func newClient(base string, timeout time.Duration, concurrency int) *client {
	return &client{
		base: base + "/v1",
		http: &http.Client{
			Timeout:   timeout,
			Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency},
		},
	}
}
