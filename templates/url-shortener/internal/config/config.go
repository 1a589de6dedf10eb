// Package config reads the service configuration from the environment.
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/sethvargo/go-envconfig"

	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/localcache"
)

// Config is the full configuration of the server. Fixed defaults are in the
// struct tags; the ones derived from defaults.go are in derivedDefaults.
type Config struct {
	Listen
	// AdminAddr serves pprof when set; empty disables the admin listener.
	AdminAddr string `env:"ADMIN_ADDR"`
	// BaseURL prefixes short URLs; defaults to http://localhost:<port of HTTPAddr>.
	BaseURL string `env:"BASE_URL"`

	Postgres Postgres

	RedisURL string `env:"REDIS_URL, required"`
	// RedisKeyPrefix defaults to AppName + ":".
	RedisKeyPrefix string        `env:"REDIS_KEY_PREFIX"`
	CacheTTL       time.Duration `env:"CACHE_TTL, default=1h"`
	// LocalCacheSize bounds the links kept in process in front of Redis,
	// 0 to localcache.MaxSize; 0 turns that cache off.
	LocalCacheSize int `env:"LOCAL_CACHE_SIZE, default=10000"`
	// LocalCacheTTL is how long a link is served from process memory
	// without asking Redis, up to localcache.MaxTTL: a link deleted through
	// another replica may redirect here for that long.
	LocalCacheTTL time.Duration `env:"LOCAL_CACHE_TTL, default=5s"`

	// CodeLength defaults to DefaultCodeLength.
	CodeLength     int     `env:"CODE_LENGTH"`
	RateLimitRPS   float64 `env:"RATE_LIMIT_RPS, default=5"`
	RateLimitBurst int     `env:"RATE_LIMIT_BURST, default=10"`
	// TrustedProxies lists proxy IPs or CIDRs whose X-Forwarded-For header
	// is believed when finding the client IP; none by default.
	TrustedProxies []string `env:"TRUSTED_PROXIES"`
	// APIToken, when set, is required as a bearer token on /api/v1.
	APIToken string `env:"API_TOKEN"`

	Tracing Tracing

	LogLevel         slog.Level    `env:"LOG_LEVEL, default=info"`
	ShutdownTimeout  time.Duration `env:"SHUTDOWN_TIMEOUT, default=15s"`
	HitFlushInterval time.Duration `env:"HIT_FLUSH_INTERVAL, default=1s"`
	MigrateOnStart   bool          `env:"MIGRATE_ON_START, default=true"`
}

// Postgres is the database connection and its pool.
type Postgres struct {
	URL             string        `env:"DATABASE_URL, required"`
	MaxOpenConns    int           `env:"DB_MAX_OPEN_CONNS, default=20"`
	MaxIdleConns    int           `env:"DB_MAX_IDLE_CONNS, default=10"`
	ConnMaxLifetime time.Duration `env:"DB_CONN_MAX_LIFETIME, default=30m"`
}

// Tracing is where spans are exported, under the OpenTelemetry SDK's standard
// variables. Spans are made and their IDs logged in any case; they leave the
// process only when an endpoint is set. The exporter reads the other
// OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression) itself.
type Tracing struct {
	// ServiceName is the service.name of the spans; it defaults to AppName.
	ServiceName string `env:"OTEL_SERVICE_NAME"`
	// Endpoint is the base URL of an OTLP/HTTP collector; spans go to its
	// /v1/traces.
	Endpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// TracesEndpoint is the full URL spans go to; it wins over Endpoint.
	TracesEndpoint string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
}

// Migrate is the configuration of the migrate command.
type Migrate struct {
	Postgres Postgres
	LogLevel slog.Level `env:"LOG_LEVEL, default=info"`
}

// Listen is the part of Config that the healthcheck command needs too.
type Listen struct {
	// HTTPAddr is the public listener address; it defaults to
	// ":DefaultHTTPPort".
	HTTPAddr string `env:"HTTP_ADDR"`
}

// derivedDefaults are the defaults that struct tags cannot hold because they
// come from the constants of defaults.go.
func derivedDefaults() map[string]string {
	return map[string]string{
		"HTTP_ADDR":         ":" + strconv.Itoa(DefaultHTTPPort),
		"CODE_LENGTH":       strconv.Itoa(DefaultCodeLength),
		"REDIS_KEY_PREFIX":  AppName + ":",
		"OTEL_SERVICE_NAME": AppName,
	}
}

// Load reads and validates the server configuration through getenv.
func Load(ctx context.Context, getenv func(string) string) (Config, error) {
	var cfg Config
	if err := process(ctx, getenv, &cfg); err != nil {
		return Config{}, err
	}
	if cfg.BaseURL == "" {
		_, port, err := net.SplitHostPort(cfg.HTTPAddr)
		if err != nil {
			return Config{}, fmt.Errorf("config: HTTP_ADDR: %w", err)
		}
		cfg.BaseURL = "http://" + net.JoinHostPort("localhost", port)
	}
	if err := cfg.validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// LoadMigrate reads the configuration of the migrate command.
func LoadMigrate(ctx context.Context, getenv func(string) string) (Migrate, error) {
	var cfg Migrate
	if err := process(ctx, getenv, &cfg); err != nil {
		return Migrate{}, err
	}
	if err := errors.Join(cfg.Postgres.validate()...); err != nil {
		return Migrate{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// LoadListen reads the listener configuration, for the healthcheck command.
func LoadListen(ctx context.Context, getenv func(string) string) (Listen, error) {
	var cfg Listen
	if err := process(ctx, getenv, &cfg); err != nil {
		return Listen{}, err
	}
	if err := errors.Join(cfg.validate()...); err != nil {
		return Listen{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

func process(ctx context.Context, getenv func(string) string, target any) error {
	// getenv cannot tell unset from empty; empty counts as unset so defaults apply.
	env := envconfig.LookuperFunc(func(key string) (string, bool) {
		v := getenv(key)
		return v, v != ""
	})
	lookup := envconfig.MultiLookuper(env, envconfig.MapLookuper(derivedDefaults()))
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: target, Lookuper: lookup}); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

func (c Config) validate() error {
	errs := c.Listen.validate()
	errs = append(errs, c.Postgres.validate()...)
	errs = append(errs, c.Tracing.validate()...)
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			errs = append(errs, fmt.Errorf("ADMIN_ADDR: %w", err))
		}
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("BASE_URL: %q is not an absolute http(s) URL", c.BaseURL))
	}
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP nor a CIDR", p))
		}
	}
	if c.CodeLength < link.MinCodeLength || c.CodeLength > link.MaxCodeLength {
		errs = append(errs, fmt.Errorf("CODE_LENGTH: %d is outside %d..%d", c.CodeLength, link.MinCodeLength, link.MaxCodeLength))
	}
	if c.LocalCacheSize < 0 || c.LocalCacheSize > localcache.MaxSize {
		errs = append(errs, fmt.Errorf("LOCAL_CACHE_SIZE: %d is outside 0..%d", c.LocalCacheSize, localcache.MaxSize))
	}
	if c.LocalCacheTTL > localcache.MaxTTL {
		errs = append(errs, fmt.Errorf("LOCAL_CACHE_TTL: %v is above %v", c.LocalCacheTTL, localcache.MaxTTL))
	}
	if c.RateLimitRPS <= 0 {
		errs = append(errs, errors.New("RATE_LIMIT_RPS: must be positive"))
	}
	if c.RateLimitBurst < 1 {
		errs = append(errs, errors.New("RATE_LIMIT_BURST: must be at least 1"))
	}
	errs = append(errs, positive("CACHE_TTL", c.CacheTTL), positive("LOCAL_CACHE_TTL", c.LocalCacheTTL),
		positive("SHUTDOWN_TIMEOUT", c.ShutdownTimeout),
		positive("HIT_FLUSH_INTERVAL", c.HitFlushInterval))
	return errors.Join(errs...)
}

func (l Listen) validate() []error {
	if _, _, err := net.SplitHostPort(l.HTTPAddr); err != nil {
		return []error{fmt.Errorf("HTTP_ADDR: %w", err)}
	}
	return nil
}

func (t Tracing) validate() []error {
	var errs []error
	for _, e := range []struct{ name, value string }{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", t.Endpoint},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", t.TracesEndpoint},
	} {
		if e.value == "" {
			continue
		}
		if u, err := url.Parse(e.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an absolute http(s) URL", e.name, e.value))
		}
	}
	return errs
}

func (p Postgres) validate() []error {
	var errs []error
	if p.MaxOpenConns < 1 {
		errs = append(errs, errors.New("DB_MAX_OPEN_CONNS: must be at least 1"))
	}
	if p.MaxIdleConns < 0 || p.MaxIdleConns > p.MaxOpenConns {
		errs = append(errs, fmt.Errorf("DB_MAX_IDLE_CONNS: %d is outside 0..DB_MAX_OPEN_CONNS (%d)", p.MaxIdleConns, p.MaxOpenConns))
	}
	return append(errs, positive("DB_CONN_MAX_LIFETIME", p.ConnMaxLifetime))
}

// positive returns an error naming the variable when d is not positive.
func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s: must be positive", name)
	}
	return nil
}
