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
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Config is the full configuration of the server. Defaults live in the
// struct tags and nowhere else.
type Config struct {
	Listen
	// AdminAddr serves pprof when set; empty disables the admin listener.
	AdminAddr string `env:"ADMIN_ADDR"`
	// BaseURL prefixes short URLs; defaults to http://localhost:<port of HTTPAddr>.
	BaseURL string `env:"BASE_URL"`

	DatabaseURL    string        `env:"DATABASE_URL, required"`
	RedisURL       string        `env:"REDIS_URL, required"`
	RedisKeyPrefix string        `env:"REDIS_KEY_PREFIX, default=shortener:"`
	CacheTTL       time.Duration `env:"CACHE_TTL, default=1h"`

	CodeLength     int     `env:"CODE_LENGTH, default={{options.codeLength}}"`
	RateLimitRPS   float64 `env:"RATE_LIMIT_RPS, default=5"`
	RateLimitBurst int     `env:"RATE_LIMIT_BURST, default=10"`
	// TrustedProxies lists proxy IPs or CIDRs whose X-Forwarded-For header
	// is believed when finding the client IP; none by default.
	TrustedProxies []string `env:"TRUSTED_PROXIES"`
	// APIToken, when set, is required as a bearer token on /api/v1.
	APIToken string `env:"API_TOKEN"`

	LogLevel         slog.Level    `env:"LOG_LEVEL, default=info"`
	ShutdownTimeout  time.Duration `env:"SHUTDOWN_TIMEOUT, default=15s"`
	HitFlushInterval time.Duration `env:"HIT_FLUSH_INTERVAL, default=1s"`
	MigrateOnStart   bool          `env:"MIGRATE_ON_START, default=true"`
}

// Migrate is the configuration of the migrate command.
type Migrate struct {
	DatabaseURL string     `env:"DATABASE_URL, required"`
	LogLevel    slog.Level `env:"LOG_LEVEL, default=info"`
}

// Listen is the part of Config that the healthcheck command needs too.
type Listen struct {
	// HTTPAddr is the public listener address.
	HTTPAddr string `env:"HTTP_ADDR, default=:{{options.httpPort}}"`
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
	return cfg, nil
}

// LoadListen reads the listener configuration, for the healthcheck command.
func LoadListen(ctx context.Context, getenv func(string) string) (Listen, error) {
	var cfg Listen
	if err := process(ctx, getenv, &cfg); err != nil {
		return Listen{}, err
	}
	return cfg, nil
}

func process(ctx context.Context, getenv func(string) string, target any) error {
	// getenv cannot tell unset from empty; empty counts as unset so defaults apply.
	lookup := envconfig.LookuperFunc(func(key string) (string, bool) {
		v := getenv(key)
		return v, v != ""
	})
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: target, Lookuper: lookup}); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

func (c Config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("HTTP_ADDR: %w", err))
	}
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
	if c.CodeLength < 4 || c.CodeLength > 32 {
		errs = append(errs, fmt.Errorf("CODE_LENGTH: %d is outside 4..32", c.CodeLength))
	}
	if c.RateLimitRPS <= 0 {
		errs = append(errs, errors.New("RATE_LIMIT_RPS: must be positive"))
	}
	if c.RateLimitBurst < 1 {
		errs = append(errs, errors.New("RATE_LIMIT_BURST: must be at least 1"))
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{
		{"CACHE_TTL", c.CacheTTL},
		{"SHUTDOWN_TIMEOUT", c.ShutdownTimeout},
		{"HIT_FLUSH_INTERVAL", c.HitFlushInterval},
	} {
		if d.value <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", d.name))
		}
	}
	return errors.Join(errs...)
}
