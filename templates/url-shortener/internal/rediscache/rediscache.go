// Package rediscache implements link.Cache on Redis with go-redis: a copy of
// links, stored as JSON under a configurable key prefix with a TTL.
package rediscache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"example.com/gopher-template/url-shortener/internal/link"
)

// Cache is a link.Cache backed by Redis.
type Cache struct {
	client goredis.UniversalClient
	prefix string
	ttl    time.Duration
}

var _ link.Cache = (*Cache)(nil)

// New returns a Cache storing entries under prefix for at most ttl.
func New(client goredis.UniversalClient, prefix string, ttl time.Duration) *Cache {
	return &Cache{client: client, prefix: prefix, ttl: ttl}
}

// NewClient parses a redis:// URL and returns a client for it. Timeouts not
// set in the URL (dial_timeout, read_timeout, ...) are kept short: the cache
// is optional, so a slow Redis must not stall redirects.
func NewClient(rawURL string) (*goredis.Client, error) {
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis: parse url: %w", err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 500 * time.Millisecond
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = 250 * time.Millisecond
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = 250 * time.Millisecond
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 1
	}
	return goredis.NewClient(opts), nil
}

// Trace makes a span of every command client sends (named after the
// command: get, set, del, ping) and of every connection it dials. The spans
// hold no command arguments, which carry links' codes and URLs, nor the
// caller's file and line, which cost a stack walk per command.
func Trace(client *goredis.Client, provider trace.TracerProvider) error {
	err := redisotel.InstrumentTracing(client,
		redisotel.WithTracerProvider(provider),
		redisotel.WithDBStatement(false),
		redisotel.WithCallerEnabled(false),
	)
	if err != nil {
		return fmt.Errorf("redis: tracing: %w", err)
	}
	return nil
}

// Logger adapts a slog.Logger to go-redis's logging interface, so that
// go-redis's own log lines, such as dial failures, come out as JSON. go-redis
// keeps one logger per process: install it once, at start-up, with
// redis.SetLogger(rediscache.NewLogger(logger)).
type Logger struct {
	logger *slog.Logger
}

// NewLogger returns a Logger writing to logger at Warn level.
func NewLogger(logger *slog.Logger) Logger {
	return Logger{logger: logger}
}

// Printf logs one go-redis message.
func (l Logger) Printf(ctx context.Context, format string, v ...any) {
	l.logger.WarnContext(ctx, "go-redis", slog.String("detail", fmt.Sprintf(format, v...)))
}

// entry is the cached form of a link. Hits are not cached: they change on
// every redirect and are read from the database for stats.
type entry struct {
	ID        int64      `json:"id"`
	URL       string     `json:"url"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (c *Cache) key(code string) string { return c.prefix + "link:" + code }

func (c *Cache) Get(ctx context.Context, code string) (link.Link, bool, error) {
	data, err := c.client.Get(ctx, c.key(code)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return link.Link{}, false, nil
	}
	if err != nil {
		return link.Link{}, false, fmt.Errorf("redis get %q: %w", code, err)
	}
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		return link.Link{}, false, fmt.Errorf("redis decode %q: %w", code, err)
	}
	return link.Link{ID: e.ID, Code: code, URL: e.URL, CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt}, true, nil
}

// Set caches l for the configured TTL, or until it expires if that is sooner.
func (c *Cache) Set(ctx context.Context, l link.Link) error {
	ttl := c.ttl
	if l.ExpiresAt != nil {
		ttl = min(ttl, time.Until(*l.ExpiresAt))
	}
	if ttl <= 0 {
		return nil
	}
	data, err := json.Marshal(entry{ID: l.ID, URL: l.URL, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt})
	if err != nil {
		return fmt.Errorf("redis encode %q: %w", l.Code, err)
	}
	if err := c.client.Set(ctx, c.key(l.Code), data, ttl).Err(); err != nil {
		return fmt.Errorf("redis set %q: %w", l.Code, err)
	}
	return nil
}

func (c *Cache) Delete(ctx context.Context, code string) error {
	if err := c.client.Del(ctx, c.key(code)).Err(); err != nil {
		return fmt.Errorf("redis del %q: %w", code, err)
	}
	return nil
}

// Ping checks that Redis is reachable.
func (c *Cache) Ping(ctx context.Context) error {
	if err := c.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}
