//go:build integration

package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/testproxy"

	"example.com/gopher-template/url-shortener/internal/hits"
	"example.com/gopher-template/url-shortener/internal/httpapi"
	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/localcache"
	"example.com/gopher-template/url-shortener/internal/migrations"
	"example.com/gopher-template/url-shortener/internal/pgstore"
	"example.com/gopher-template/url-shortener/internal/rediscache"
	"example.com/gopher-template/url-shortener/internal/testenv"
	"example.com/gopher-template/url-shortener/internal/tracing"
)

// cacheSpy counts lookups served from the real cache.
type cacheSpy struct {
	link.Cache
	hits, misses, errors atomic.Int64
}

func (s *cacheSpy) Get(ctx context.Context, code string) (link.Link, bool, error) {
	l, found, err := s.Cache.Get(ctx, code)
	switch {
	case err != nil:
		s.errors.Add(1)
	case found:
		s.hits.Add(1)
	default:
		s.misses.Add(1)
	}
	return l, found, err
}

type stack struct {
	*testServer
	repo    *pgstore.Repository
	batcher *hits.Batcher
	// spy counts the lookups that reach Redis.
	spy *cacheSpy
	// redis reaches the cache's keys, which start with prefix.
	redis  *goredis.Client
	prefix string
	// dbURL is the database the stack uses.
	dbURL string
}

// stackOptions change how newStack reaches the services.
type stackOptions struct {
	// redisClient, when not nil, replaces the client of REDIS_URL, e.g. with
	// one that cannot reach Redis.
	redisClient *goredis.Client
	// postgres, when not nil, turns the URL of the test's database into the
	// one the service uses, e.g. through a testproxy.Proxy.
	postgres func(t *testing.T, url string) string
	// localTTL, when positive, puts an in-process cache with that TTL in
	// front of Redis, as run does.
	localTTL time.Duration
	// replicaOf, when not nil, makes the stack another replica of that one:
	// the same database and Redis keys, a process memory of its own.
	replicaOf *stack
	// tracerProvider, when not nil, makes the spans of the HTTP handler and
	// of the PostgreSQL and Redis clients, as run does.
	tracerProvider trace.TracerProvider
	// logger, when not nil, gets the stack's log lines.
	logger *slog.Logger
}

// newStack wires the real PostgreSQL repository and Redis cache behind the
// HTTP API, as run does.
func newStack(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	logger := opts.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var dbURL, redisURL, prefix string
	if opts.replicaOf != nil {
		dbURL, redisURL, prefix = opts.replicaOf.dbURL, os.Getenv("REDIS_URL"), opts.replicaOf.prefix
	} else {
		dbURL = testenv.Postgres(t)
		redisURL, prefix = testenv.Redis(t)
	}
	if opts.postgres != nil {
		dbURL = opts.postgres(t, dbURL)
	}
	db, err := pgstore.Open(t.Context(), logger, pgstore.Options{
		URL: dbURL, MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute,
		TracerProvider: opts.tracerProvider,
	})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := migrations.Up(t.Context(), logger, sqlDB); err != nil {
		t.Fatal(err)
	}
	direct := newRedisClient(t, redisURL)
	redisClient := opts.redisClient
	if redisClient == nil {
		redisClient = direct
	}
	if opts.tracerProvider != nil {
		if err := rediscache.Trace(redisClient, opts.tracerProvider); err != nil {
			t.Fatal(err)
		}
	}
	cache := rediscache.New(redisClient, prefix, time.Hour)

	s := &stack{testServer: &testServer{}, repo: pgstore.NewRepository(db), spy: &cacheSpy{Cache: cache}, redis: direct, prefix: prefix, dbURL: dbURL}
	if s.batcher, err = hits.NewBatcher(logger, s.repo, hits.Options{Interval: time.Hour}); err != nil {
		t.Fatal(err)
	}
	m := newMetrics(t)
	var linkCache link.Cache = s.spy
	if opts.localTTL > 0 {
		if linkCache, err = localcache.New(s.spy, localcache.Options{Size: 100, TTL: opts.localTTL, Recorder: m}); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := link.NewService(logger, s.repo, linkCache, s.batcher, link.Options{CodeLength: codeLength, Recorder: m})
	if err != nil {
		t.Fatal(err)
	}
	s.handler, err = httpapi.NewServer(logger, httpapi.Options{
		BaseURL: baseURL, RateLimitRPS: 100, RateLimitBurst: 100,
		TracerProvider: opts.tracerProvider, Propagator: tracing.Propagator(),
	}, svc, m,
		health.Check{Name: "postgres", Required: true, Check: sqlDB.PingContext},
		health.Check{Name: "redis", Check: cache.Ping},
	)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newRedisClient(t *testing.T, url string) *goredis.Client {
	t.Helper()
	client, err := rediscache.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func TestIntegrationCreateRedirectStats(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	created := s.create(t, `{"url":"https://example.org/integration"}`, nil)

	for i := range 3 {
		rec := s.do(t, request{method: http.MethodGet, target: "/" + created.Code})
		if rec.Code != http.StatusFound || rec.Header().Get("Location") != "https://example.org/integration" {
			t.Fatalf("redirect %d: %d %q", i, rec.Code, rec.Header().Get("Location"))
		}
	}
	// Creating the link wrote it through to Redis: every redirect was served by Redis.
	if hits, misses, errs := s.spy.hits.Load(), s.spy.misses.Load(), s.spy.errors.Load(); hits != 3 || misses != 0 || errs != 0 {
		t.Errorf("cache hits/misses/errors = %d/%d/%d, want 3/0/0", hits, misses, errs)
	}

	if err := s.batcher.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	stored, err := s.repo.Get(t.Context(), created.Code)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Hits != 3 {
		t.Errorf("stored hits = %d, want 3", stored.Hits)
	}
	stats := decode[linkJSON](t, s.do(t, request{method: http.MethodGet, target: "/api/v1/links/" + created.Code}))
	if stats.Hits != 3 {
		t.Errorf("stats hits = %d, want 3", stats.Hits)
	}

	if rec := s.do(t, request{method: http.MethodGet, target: "/readyz"}); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"ready"`) {
		t.Errorf("readyz = %d: %s", rec.Code, rec.Body)
	}

	if rec := s.do(t, request{method: http.MethodDelete, target: "/api/v1/links/" + created.Code}); rec.Code != http.StatusNoContent {
		t.Fatalf("delete = %d", rec.Code)
	}
	if rec := s.do(t, request{method: http.MethodGet, target: "/" + created.Code}); rec.Code != http.StatusNotFound {
		t.Errorf("redirect after delete = %d, want 404 (cache evicted)", rec.Code)
	}
}

func TestIntegrationAliasConflictAndExpiry(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.create(t, `{"url":"https://example.org","alias":"taken"}`, nil)
	if rec := s.do(t, request{method: http.MethodPost, target: "/api/v1/links", body: `{"url":"https://example.com","alias":"taken"}`}); rec.Code != http.StatusConflict {
		t.Errorf("duplicate alias = %d, want 409", rec.Code)
	}

	expires := time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	s.create(t, `{"url":"https://example.org","alias":"fleeting","expires_at":"`+expires+`"}`, nil)
	if rec := s.do(t, request{method: http.MethodGet, target: "/fleeting"}); rec.Code != http.StatusFound {
		t.Fatalf("before expiry = %d", rec.Code)
	}
	time.Sleep(1600 * time.Millisecond)
	if rec := s.do(t, request{method: http.MethodGet, target: "/fleeting"}); rec.Code != http.StatusGone {
		t.Errorf("after expiry = %d, want 410", rec.Code)
	}
}

// TestIntegrationRedisUnavailable proves that Redis is optional: without it
// redirects are served from PostgreSQL, and /readyz stays 200, reporting
// Redis degraded, so that the instance is kept in rotation.
func TestIntegrationRedisUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		client func(t *testing.T) *goredis.Client
	}{
		{name: "nothing listening", client: func(t *testing.T) *goredis.Client {
			// Port 1 (tcpmux) is privileged and unused: connections are refused.
			return newRedisClient(t, "redis://127.0.0.1:1/0")
		}},
		{name: "connection closed", client: func(t *testing.T) *goredis.Client {
			url, _ := testenv.Redis(t)
			client := newRedisClient(t, url)
			if err := client.Ping(t.Context()).Err(); err != nil {
				t.Fatalf("Redis must be up before the client is closed: %v", err)
			}
			if err := client.Close(); err != nil {
				t.Fatal(err)
			}
			return client
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{redisClient: tt.client(t)})
			created := s.create(t, `{"url":"https://example.org/no-cache"}`, nil)

			for range 2 {
				rec := s.do(t, request{method: http.MethodGet, target: "/" + created.Code})
				if rec.Code != http.StatusFound || rec.Header().Get("Location") != "https://example.org/no-cache" {
					t.Fatalf("redirect without Redis: %d %q", rec.Code, rec.Header().Get("Location"))
				}
			}
			if errs := s.spy.errors.Load(); errs != 2 {
				t.Errorf("cache lookups failed %d times, want 2; is Redis really unreachable?", errs)
			}

			rec := s.do(t, request{method: http.MethodGet, target: "/readyz"})
			body := rec.Body.String()
			if rec.Code != http.StatusOK || !strings.Contains(body, `"status":"degraded"`) ||
				!strings.Contains(body, `"redis":"degraded"`) || !strings.Contains(body, `"postgres":"ok"`) {
				t.Errorf("readyz = %d %s, want 200, degraded, with redis degraded and postgres ok", rec.Code, body)
			}
		})
	}
}

// TestIntegrationPostgresUnavailable proves the write-through on create: a
// link never redirected before still redirects from Redis once the service
// has lost PostgreSQL, and its cache entry ends when the link expires.
func TestIntegrationPostgresUnavailable(t *testing.T) {
	t.Parallel()
	var proxy *testproxy.Proxy
	s := newStack(t, stackOptions{postgres: func(t *testing.T, url string) string {
		url, proxy = testproxy.ForURL(t, url)
		return url
	}})
	kept := s.create(t, `{"url":"https://example.org/kept"}`, nil)
	// The cache TTL is an hour; this link expires sooner, and so must its entry.
	const expiresIn = 30 * time.Minute
	expires := time.Now().Add(expiresIn).UTC().Format(time.RFC3339Nano)
	expiring := s.create(t, `{"url":"https://example.org/expiring","expires_at":"`+expires+`"}`, nil)
	if ttl := s.redis.PTTL(t.Context(), s.prefix+"link:"+expiring.Code).Val(); ttl <= 0 || ttl > expiresIn {
		t.Errorf("cache TTL of the expiring link = %v, want at most %v, its time to expiry", ttl, expiresIn)
	}

	proxy.Cut()
	// PostgreSQL is really gone for the service, not for the test.
	if rec := s.do(t, request{method: http.MethodGet, target: "/readyz"}); rec.Code != http.StatusServiceUnavailable ||
		!strings.Contains(rec.Body.String(), `"postgres":"unavailable"`) {
		t.Fatalf("readyz after the cut = %d %s, want 503 with postgres unavailable", rec.Code, rec.Body)
	}

	for _, l := range []linkJSON{kept, expiring} {
		rec := s.do(t, request{method: http.MethodGet, target: "/" + l.Code})
		if rec.Code != http.StatusFound || rec.Header().Get("Location") != l.URL {
			t.Errorf("redirect %s without PostgreSQL = %d %q, want 302 to %s: %s", l.Code, rec.Code, rec.Header().Get("Location"), l.URL, rec.Body)
		}
	}
	if hits, misses, errs := s.spy.hits.Load(), s.spy.misses.Load(), s.spy.errors.Load(); hits != 2 || misses != 0 || errs != 0 {
		t.Errorf("cache hits/misses/errors = %d/%d/%d, want 2/0/0", hits, misses, errs)
	}
}

// redirectStatus follows nothing: it returns the status of GET /code.
func (s *stack) redirectStatus(t *testing.T, code string) int {
	t.Helper()
	return s.do(t, request{method: http.MethodGet, target: "/" + code}).Code
}

// redisLookups counts the lookups of s that reached Redis.
func (s *stack) redisLookups() int64 {
	return s.spy.hits.Load() + s.spy.misses.Load() + s.spy.errors.Load()
}

// TestIntegrationDeletedLinkStopsRedirecting proves the bound of the
// in-process cache: a deleted link stops redirecting at once on the replica
// that deleted it, and within the cache's TTL on another replica, which
// serves it from memory until then.
func TestIntegrationDeletedLinkStopsRedirecting(t *testing.T) {
	t.Parallel()
	const ttl = time.Second
	a := newStack(t, stackOptions{localTTL: ttl})
	b := newStack(t, stackOptions{localTTL: ttl, replicaOf: a})
	created := a.create(t, `{"url":"https://example.org/deleted"}`, nil)
	for name, s := range map[string]*stack{"a": a, "b": b} {
		if status := s.redirectStatus(t, created.Code); status != http.StatusFound {
			t.Fatalf("redirect on %s = %d, want 302", name, status)
		}
	}
	// b found the link in Redis, and now has it in memory.
	lookups := b.redisLookups()
	if status := b.redirectStatus(t, created.Code); status != http.StatusFound || b.redisLookups() != lookups {
		t.Fatalf("second redirect on b = %d after %d Redis lookups, want 302 from memory", status, b.redisLookups()-lookups)
	}

	deleted := time.Now()
	if rec := a.do(t, request{method: http.MethodDelete, target: "/api/v1/links/" + created.Code}); rec.Code != http.StatusNoContent {
		t.Fatalf("delete = %d", rec.Code)
	}
	if status := a.redirectStatus(t, created.Code); status != http.StatusNotFound {
		t.Errorf("redirect on the deleting replica = %d, want 404 at once", status)
	}
	// b cannot be told: it may redirect until its entry ages out, not later.
	const slack = 250 * time.Millisecond
	var lastRedirect time.Duration
	for {
		start := time.Since(deleted)
		status := b.redirectStatus(t, created.Code)
		if status == http.StatusNotFound {
			t.Logf("b redirected for the last time %v after the delete (bound %v)", lastRedirect.Round(time.Millisecond), ttl)
			break
		}
		if status != http.StatusFound {
			t.Fatalf("redirect on b = %d, want 302 or 404", status)
		}
		if lastRedirect = start; start > ttl+slack {
			t.Fatalf("b still redirects %v after the delete, beyond the in-process cache's TTL of %v", start, ttl)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIntegrationExpiredLinkNeverRedirects: an entry of the in-process cache
// lives past neither its TTL nor its link's expiry, on any replica.
func TestIntegrationExpiredLinkNeverRedirects(t *testing.T) {
	t.Parallel()
	// The TTL outlives the link: the expiry must cut the entries short.
	a := newStack(t, stackOptions{localTTL: localcache.MaxTTL})
	b := newStack(t, stackOptions{localTTL: localcache.MaxTTL, replicaOf: a})
	expiresAt := time.Now().Add(time.Second).Truncate(time.Microsecond)
	created := a.create(t, `{"url":"https://example.org/fleeting","expires_at":"`+expiresAt.UTC().Format(time.RFC3339Nano)+`"}`, nil)
	for name, s := range map[string]*stack{"a": a, "b": b} {
		if status := s.redirectStatus(t, created.Code); status != http.StatusFound {
			t.Fatalf("redirect on %s before expiry = %d, want 302", name, status)
		}
	}
	// Ask both replicas, often, from before the expiry until after it.
	gone := map[string]bool{}
	for time.Now().Before(expiresAt.Add(300 * time.Millisecond)) {
		for name, s := range map[string]*stack{"a": a, "b": b} {
			start := time.Now()
			status := s.redirectStatus(t, created.Code)
			switch {
			case status == http.StatusFound && !start.Before(expiresAt):
				t.Fatalf("%s redirected a request made %v after the link expired", name, start.Sub(expiresAt))
			case status == http.StatusGone:
				gone[name] = true
			case status != http.StatusFound:
				t.Fatalf("redirect on %s = %d, want 302 before expiry, 410 after", name, status)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !gone["a"] || !gone["b"] {
		t.Errorf("answered 410 after the expiry: %v, want both a and b", gone)
	}
}

// TestIntegrationNewCodeRedirectsAtOnce: unknown codes are not cached, so a
// code that was unknown a moment ago redirects on every replica as soon as
// it is created on one.
func TestIntegrationNewCodeRedirectsAtOnce(t *testing.T) {
	t.Parallel()
	a := newStack(t, stackOptions{localTTL: localcache.MaxTTL})
	b := newStack(t, stackOptions{localTTL: localcache.MaxTTL, replicaOf: a})
	for range 2 {
		if status := b.redirectStatus(t, "brand-new"); status != http.StatusNotFound {
			t.Fatalf("redirect of an unknown code = %d, want 404", status)
		}
	}
	a.create(t, `{"url":"https://example.org/new","alias":"brand-new"}`, nil)
	if status := b.redirectStatus(t, "brand-new"); status != http.StatusFound {
		t.Errorf("redirect on b right after a created the code = %d, want 302", status)
	}
}
