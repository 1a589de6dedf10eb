//go:build integration

package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rediscache "example.com/gopher-template/url-shortener/internal/cache/redis"
	"example.com/gopher-template/url-shortener/internal/config"
	"example.com/gopher-template/url-shortener/internal/hits"
	"example.com/gopher-template/url-shortener/internal/httpapi"
	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/metrics"
	"example.com/gopher-template/url-shortener/internal/migrations"
	"example.com/gopher-template/url-shortener/internal/store/postgres"
	"example.com/gopher-template/url-shortener/internal/testenv"
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
	repo    *postgres.Repository
	batcher *hits.Batcher
	spy     *cacheSpy
}

// newStack wires the real PostgreSQL repository and Redis cache behind the
// HTTP API, as run does. redisURL overrides REDIS_URL when not empty.
func newStack(t *testing.T, redisURL string) *stack {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	dbURL := testenv.Postgres(t)
	envRedisURL, prefix := testenv.Redis(t)
	if redisURL == "" {
		redisURL = envRedisURL
	}

	db, err := postgres.Open(t.Context(), logger, dbURL)
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
	client, err := rediscache.NewClient(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	cache := rediscache.New(client, prefix, time.Hour)

	s := &stack{
		testServer: &testServer{},
		repo:       postgres.NewRepository(db),
		spy:        &cacheSpy{Cache: cache},
	}
	s.batcher = hits.NewBatcher(logger, s.repo, time.Hour)
	cfg := config.Config{BaseURL: baseURL, RateLimitRPS: 100, RateLimitBurst: 100, CodeLength: codeLength}
	svc := link.NewService(logger, s.repo, s.spy, s.batcher, link.Options{CodeLength: cfg.CodeLength})
	s.handler = httpapi.NewServer(logger, cfg, svc, metrics.New(),
		httpapi.Check{Name: "postgres", Check: sqlDB.PingContext},
		httpapi.Check{Name: "redis", Check: cache.Ping},
	)
	return s
}

func TestIntegrationCreateRedirectStats(t *testing.T) {
	s := newStack(t, "")
	created := s.create(t, `{"url":"https://example.org/integration"}`, nil)

	for i := range 3 {
		rec := s.do(t, request{method: http.MethodGet, target: "/" + created.Code})
		if rec.Code != http.StatusFound || rec.Header().Get("Location") != "https://example.org/integration" {
			t.Fatalf("redirect %d: %d %q", i, rec.Code, rec.Header().Get("Location"))
		}
	}
	// The first lookup missed and filled the cache; the others were served by Redis.
	if hits, misses, errs := s.spy.hits.Load(), s.spy.misses.Load(), s.spy.errors.Load(); hits != 2 || misses != 1 || errs != 0 {
		t.Errorf("cache hits/misses/errors = %d/%d/%d, want 2/1/0", hits, misses, errs)
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

	if rec := s.do(t, request{method: http.MethodGet, target: "/readyz"}); rec.Code != http.StatusOK {
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
	s := newStack(t, "")
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

func TestIntegrationRedisUnavailable(t *testing.T) {
	s := newStack(t, "redis://127.0.0.1:1/0")
	created := s.create(t, `{"url":"https://example.org/no-cache"}`, nil)

	rec := s.do(t, request{method: http.MethodGet, target: "/" + created.Code})
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "https://example.org/no-cache" {
		t.Fatalf("redirect without Redis: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if s.spy.errors.Load() == 0 {
		t.Error("cache lookups did not fail; is Redis really unreachable?")
	}

	rec = s.do(t, request{method: http.MethodGet, target: "/readyz"})
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"redis":"down"`) ||
		!strings.Contains(rec.Body.String(), `"postgres":"ok"`) {
		t.Errorf("readyz = %d %s, want 503 with redis down", rec.Code, rec.Body)
	}
}
