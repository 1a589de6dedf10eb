//go:build integration

package rediscache_test

import (
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/rediscache"
	"example.com/gopher-template/url-shortener/internal/testenv"
)

func newCache(t *testing.T, ttl time.Duration) (*rediscache.Cache, *goredis.Client, string) {
	t.Helper()
	url, prefix := testenv.Redis(t)
	client, err := rediscache.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return rediscache.New(client, prefix, ttl), client, prefix
}

func TestCache(t *testing.T) {
	t.Parallel()
	cache, client, prefix := newCache(t, time.Hour)
	ctx := t.Context()
	created := time.Now().UTC().Truncate(time.Microsecond)
	l := link.Link{ID: 42, Code: "abc1234", URL: "https://example.org", CreatedAt: created, Hits: 99}

	if _, found, err := cache.Get(ctx, l.Code); err != nil || found {
		t.Fatalf("Get() on empty cache = %v, %v", found, err)
	}
	if err := cache.Set(ctx, l); err != nil {
		t.Fatal(err)
	}
	got, found, err := cache.Get(ctx, l.Code)
	if err != nil || !found {
		t.Fatalf("Get() = %v, %v", found, err)
	}
	if got.ID != l.ID || got.Code != l.Code || got.URL != l.URL || !got.CreatedAt.Equal(created) || got.ExpiresAt != nil || got.Hits != 0 {
		t.Errorf("Get() = %+v, want %+v without hits", got, l)
	}

	key := prefix + "link:" + l.Code
	if ttl := client.TTL(ctx, key).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL of %s = %v, want about 1h", key, ttl)
	}

	if err := cache.Delete(ctx, l.Code); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := cache.Get(ctx, l.Code); found {
		t.Error("entry still cached after Delete")
	}
	if err := cache.Ping(ctx); err != nil {
		t.Error(err)
	}
}

func TestCacheTTLStopsAtExpiry(t *testing.T) {
	t.Parallel()
	cache, client, prefix := newCache(t, time.Hour)
	ctx := t.Context()
	soon := time.Now().Add(30 * time.Second)
	past := time.Now().Add(-time.Second)

	if err := cache.Set(ctx, link.Link{Code: "soon", URL: "https://example.org", ExpiresAt: &soon}); err != nil {
		t.Fatal(err)
	}
	if ttl := client.TTL(ctx, prefix+"link:soon").Val(); ttl <= 0 || ttl > 30*time.Second {
		t.Errorf("TTL = %v, want at most 30s", ttl)
	}
	got, found, err := cache.Get(ctx, "soon")
	if err != nil || !found || got.ExpiresAt == nil || !got.ExpiresAt.Equal(soon) {
		t.Errorf("Get() = %+v, %v, %v", got, found, err)
	}

	if err := cache.Set(ctx, link.Link{Code: "past", URL: "https://example.org", ExpiresAt: &past}); err != nil {
		t.Fatal(err)
	}
	if n := client.Exists(ctx, prefix+"link:past").Val(); n != 0 {
		t.Error("expired link was cached")
	}
}

func TestCacheUnavailable(t *testing.T) {
	t.Parallel()
	client, err := rediscache.NewClient("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	cache := rediscache.New(client, "unused:", time.Hour)
	ctx := t.Context()

	if _, found, err := cache.Get(ctx, "abc"); err == nil || found {
		t.Errorf("Get() = %v, %v; want an error", found, err)
	}
	if err := cache.Set(ctx, link.Link{Code: "abc", URL: "https://example.org"}); err == nil {
		t.Error("Set() succeeded without Redis")
	}
	if err := cache.Ping(ctx); err == nil {
		t.Error("Ping() succeeded without Redis")
	}
}
