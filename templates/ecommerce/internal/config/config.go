// Package config reads the binaries' settings from the environment. Values come through a getenv
// function rather than os.Getenv, so tests set them without touching the process environment.
// Each loader validates what it read and returns the zero value with its error.
package config

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// The bounds of LOW_STOCK_THRESHOLD and MAX_DELIVERY_ATTEMPTS; the generator asks for defaults
// within the same ranges.
const (
	MinLowStockThreshold   = 0
	MaxLowStockThreshold   = 100_000
	MinMaxDeliveryAttempts = 1
	MaxMaxDeliveryAttempts = 25
)

// MinJWTSecretBytes is the shortest JWT_SECRET accepted: HS256 keys shorter than the hash's
// 32 bytes weaken it (RFC 7518, section 3.2).
const MinJWTSecretBytes = 32

// MaxAPIRequestTimeout is the longest REQUEST_TIMEOUT the api takes.
const MaxAPIRequestTimeout = 8 * time.Second

// MinCursorKeyBytes is the shortest CURSOR_KEY accepted.
const MinCursorKeyBytes = 16

// Where each binary's HTTP listener is when HTTP_ADDR is unset: the API's routes and probes, the
// worker's probes and metrics. The healthcheck subcommands read them through LoadHTTPAddr.
const (
	DefaultAPIHTTPAddr    = ":8080"
	DefaultWorkerHTTPAddr = ":8081"
)

// Secret is a setting that must not be printed: fmt and slog show it as [redacted]. Convert it
// to use it: []byte(cfg.JWTSecret).
type Secret string

const redacted = "[redacted]"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Common holds what both binaries read.
type Common struct {
	HTTPAddr string `env:"HTTP_ADDR"` // default per binary: DefaultAPIHTTPAddr, DefaultWorkerHTTPAddr
	// AdminAddr is the pprof listener; keep it on loopback. Empty disables it.
	AdminAddr       string        `env:"ADMIN_ADDR"`
	LogLevel        slog.Level    `env:"LOG_LEVEL, default=info"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT, default=25s"`
	DatabaseURL     string        `env:"DATABASE_URL, required"`
	DBMaxConns      int           `env:"DB_MAX_CONNS, default=10"`
	// RequestTimeout bounds one unit of work: an HTTP request in the API, the handling of one
	// message (or one relay pass) in the worker.
	RequestTimeout time.Duration `env:"REQUEST_TIMEOUT, default=5s"`
}

// API is the api binary's settings.
type API struct {
	Common
	JWTSecret      Secret        `env:"JWT_SECRET, required"`
	JWTIssuer      string        `env:"JWT_ISSUER"`   // default AppName
	JWTAudience    string        `env:"JWT_AUDIENCE"` // default AppName
	AccessTokenTTL time.Duration `env:"ACCESS_TOKEN_TTL, default=1h"`
	// The argon2id parameters of new password hashes (19 MiB, 2 passes, 1 lane by default, as
	// OWASP recommends); hashes keep the parameters they were made with.
	Argon2MemoryKiB   uint32 `env:"ARGON2_MEMORY_KIB, default=19456"`
	Argon2Iterations  uint32 `env:"ARGON2_ITERATIONS, default=2"`
	Argon2Parallelism uint8  `env:"ARGON2_PARALLELISM, default=1"`
	// HashConcurrency bounds the password hashes computed at once, ARGON2_MEMORY_KIB each; more
	// sign-ups and logins wait for their turn until their deadline.
	HashConcurrency int `env:"HASH_CONCURRENCY, default=4"`
	// LowStockThreshold: an order that leaves a product's stock below it raises a stock-low alert.
	LowStockThreshold int `env:"LOW_STOCK_THRESHOLD"` // default DefaultLowStockThreshold
	// CursorKey seals the pagination cursors (an HMAC key, the same on every replica). Unset,
	// LoadAPI derives it from JWT_SECRET, under a label of its own: changing the secret then
	// invalidates the cursors handed out, and clients start their listing again.
	CursorKey Secret `env:"CURSOR_KEY"`
}

// Worker is the worker binary's settings: the outbox relay and the RabbitMQ consumers.
type Worker struct {
	Common
	AMQPURL string `env:"AMQP_URL, required"`
	// AMQPPrefix starts the name of every exchange and queue the worker declares.
	AMQPPrefix string `env:"AMQP_PREFIX"` // default AppName
	// MaxDeliveryAttempts is how many times a message is tried before it is parked.
	MaxDeliveryAttempts int `env:"MAX_DELIVERY_ATTEMPTS"` // default DefaultMaxDeliveryAttempts
	// RetryDelay is how long a failed message waits in the delay queue before its next attempt.
	RetryDelay time.Duration `env:"RETRY_DELAY, default=5s"`
	// Prefetch is how many unacknowledged messages RabbitMQ hands the worker at once.
	Prefetch int `env:"PREFETCH, default=32"`
	// Concurrency is how many messages the worker handles at once.
	Concurrency int `env:"WORKER_CONCURRENCY, default=8"`
	// RelayBatch is how many outbox events the relay publishes per transaction.
	RelayBatch int `env:"RELAY_BATCH, default=100"`
	// RelayInterval is how long the relay waits after a pass that found less than a batch.
	RelayInterval time.Duration `env:"RELAY_INTERVAL, default=500ms"`
}

// LoadAPI reads and validates the api binary's settings.
func LoadAPI(ctx context.Context, getenv func(string) string) (API, error) {
	var c API
	defaults := map[string]string{
		"HTTP_ADDR":           DefaultAPIHTTPAddr,
		"JWT_ISSUER":          AppName,
		"JWT_AUDIENCE":        AppName,
		"LOW_STOCK_THRESHOLD": strconv.Itoa(DefaultLowStockThreshold),
	}
	if err := load(ctx, getenv, defaults, &c); err != nil {
		return API{}, err
	}
	errs := c.validate()
	// The answer to a request that ran out of time (503) must still fit in the server's write
	// timeout (httpserver.New: 10 s).
	if c.RequestTimeout > MaxAPIRequestTimeout {
		errs = append(errs, fmt.Errorf("REQUEST_TIMEOUT must be at most %s in the api: its answer must be written before the server's 10s write timeout", MaxAPIRequestTimeout))
	}
	if len(c.JWTSecret) < MinJWTSecretBytes {
		errs = append(errs, fmt.Errorf("JWT_SECRET must be at least %d bytes (openssl rand -hex 32)", MinJWTSecretBytes))
	}
	if strings.TrimSpace(c.JWTIssuer) == "" || strings.TrimSpace(c.JWTAudience) == "" {
		errs = append(errs, errors.New("JWT_ISSUER and JWT_AUDIENCE must not be empty"))
	}
	if c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > 24*time.Hour {
		errs = append(errs, errors.New("ACCESS_TOKEN_TTL must be between 1m and 24h: access tokens cannot be revoked"))
	}
	if c.Argon2MemoryKiB < 8*1024 || c.Argon2Iterations < 1 || c.Argon2Parallelism < 1 {
		errs = append(errs, errors.New("ARGON2_MEMORY_KIB must be at least 8192, ARGON2_ITERATIONS and ARGON2_PARALLELISM at least 1"))
	}
	if c.HashConcurrency < 1 || c.HashConcurrency > 1024 {
		errs = append(errs, errors.New("HASH_CONCURRENCY must be between 1 and 1024"))
	}
	if c.LowStockThreshold < MinLowStockThreshold || c.LowStockThreshold > MaxLowStockThreshold {
		errs = append(errs, fmt.Errorf("LOW_STOCK_THRESHOLD must be between %d and %d", MinLowStockThreshold, MaxLowStockThreshold))
	}
	if c.CursorKey != "" && len(c.CursorKey) < MinCursorKeyBytes {
		errs = append(errs, fmt.Errorf("CURSOR_KEY must be at least %d bytes when set (openssl rand -hex 32)", MinCursorKeyBytes))
	}
	if err := joinInvalid(errs); err != nil {
		return API{}, err
	}
	if c.CursorKey == "" {
		c.CursorKey = deriveKey(c.JWTSecret, "cursor-key")
	}
	return c, nil
}

// deriveKey is a key for one purpose made from secret: HMAC-SHA256(secret, label), 32 bytes.
func deriveKey(secret Secret, label string) Secret {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(label))
	return Secret(mac.Sum(nil))
}

// prefixPattern is what AMQP_PREFIX may be: exchange and queue names are built on it.
var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// LoadWorker reads and validates the worker binary's settings.
func LoadWorker(ctx context.Context, getenv func(string) string) (Worker, error) {
	var c Worker
	defaults := map[string]string{
		"HTTP_ADDR":             DefaultWorkerHTTPAddr,
		"AMQP_PREFIX":           AppName,
		"MAX_DELIVERY_ATTEMPTS": strconv.Itoa(DefaultMaxDeliveryAttempts),
	}
	if err := load(ctx, getenv, defaults, &c); err != nil {
		return Worker{}, err
	}
	errs := c.validate()
	if !prefixPattern.MatchString(c.AMQPPrefix) || c.AMQPPrefix == "amq" || strings.HasPrefix(c.AMQPPrefix, "amq.") {
		errs = append(errs, errors.New(`AMQP_PREFIX must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, and not "amq" (RabbitMQ reserves amq.*)`))
	}
	if c.MaxDeliveryAttempts < MinMaxDeliveryAttempts || c.MaxDeliveryAttempts > MaxMaxDeliveryAttempts {
		errs = append(errs, fmt.Errorf("MAX_DELIVERY_ATTEMPTS must be between %d and %d", MinMaxDeliveryAttempts, MaxMaxDeliveryAttempts))
	}
	if c.RetryDelay < 100*time.Millisecond || c.RetryDelay > 24*time.Hour {
		errs = append(errs, errors.New("RETRY_DELAY must be between 100ms and 24h"))
	}
	// basic.qos carries the prefetch count in 16 bits.
	if c.Prefetch < 1 || c.Prefetch > 65535 {
		errs = append(errs, errors.New("PREFETCH must be between 1 and 65535"))
	}
	if c.Concurrency < 1 || c.Concurrency > 1024 {
		errs = append(errs, errors.New("WORKER_CONCURRENCY must be between 1 and 1024"))
	}
	if c.RelayBatch < 1 || c.RelayBatch > 10_000 {
		errs = append(errs, errors.New("RELAY_BATCH must be between 1 and 10000"))
	}
	if c.RelayInterval < 10*time.Millisecond || c.RelayInterval > time.Minute {
		errs = append(errs, errors.New("RELAY_INTERVAL must be between 10ms and 1m"))
	}
	if err := joinInvalid(errs); err != nil {
		return Worker{}, err
	}
	return c, nil
}

// LoadHTTPAddr reads only what the healthcheck subcommands need: the binary's HTTP_ADDR, or
// fallback (DefaultAPIHTTPAddr, DefaultWorkerHTTPAddr) when it is unset or empty.
func LoadHTTPAddr(getenv func(string) string, fallback string) string {
	if v := strings.TrimSpace(getenv("HTTP_ADDR")); v != "" {
		return v
	}
	return fallback
}

// load fills target from getenv, then from defaults, then from the struct tags' defaults.
func load(ctx context.Context, getenv func(string) string, defaults map[string]string, target any) error {
	// An empty variable counts as unset, so that defaults apply to VAR= as well.
	env := envconfig.LookuperFunc(func(key string) (string, bool) {
		v := getenv(key)
		return v, v != ""
	})
	lookup := envconfig.MultiLookuper(env, envconfig.MapLookuper(defaults))
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: target, Lookuper: lookup}); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

func (c Common) validate() []error {
	var errs []error
	if strings.TrimSpace(c.HTTPAddr) == "" {
		errs = append(errs, errors.New("HTTP_ADDR must not be empty"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("SHUTDOWN_TIMEOUT must be positive"))
	}
	if c.DBMaxConns < 1 {
		errs = append(errs, errors.New("DB_MAX_CONNS must be at least 1"))
	}
	if c.RequestTimeout <= 0 || c.RequestTimeout > 5*time.Minute {
		errs = append(errs, errors.New("REQUEST_TIMEOUT must be positive and at most 5m"))
	}
	return errs
}

func joinInvalid(errs []error) error {
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}
