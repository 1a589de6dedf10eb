// Package config reads the three binaries' settings from the environment. Values come through
// a getenv function rather than os.Getenv, so tests set them without touching the process
// environment. Each loader returns the zero value with its error.
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// The bounds of WS_SEND_QUEUE; the generator asks for a default within the same range.
const (
	MinWSSendQueue = 1
	MaxWSSendQueue = 4096
)

// Common holds what every binary reads.
type Common struct {
	HTTPAddr        string        `env:"HTTP_ADDR"`  // default per binary
	AdminAddr       string        `env:"ADMIN_ADDR"` // pprof listener; empty disables it
	LogLevel        slog.Level    `env:"LOG_LEVEL, default=info"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT, default=25s"`
	JWTIssuer       string        `env:"JWT_ISSUER"`   // default AppName
	JWTAudience     string        `env:"JWT_AUDIENCE"` // default AppName
}

// GRPC holds what the two gRPC services read.
type GRPC struct {
	GRPCAddr       string        `env:"GRPC_ADDR"` // default per binary
	Reflection     bool          `env:"GRPC_REFLECTION, default=false"`
	DefaultTimeout time.Duration `env:"GRPC_DEFAULT_TIMEOUT, default=10s"`
	DatabaseURL    string        `env:"DATABASE_URL, required"`
	DBMaxConns     int32         `env:"DB_MAX_CONNS, default=10"`
	MigrateOnStart bool          `env:"MIGRATE_ON_START, default=true"`
}

// PublicKeys are the JWT verification keys of chat and the gateway: PEM in the environment, or files.
type PublicKeys struct {
	PEM   string   `env:"JWT_PUBLIC_KEYS"`
	Files []string `env:"JWT_PUBLIC_KEY_FILES"`
}

// Auth is the auth binary's settings.
type Auth struct {
	Common
	GRPC
	PrivateKeyPEM     string        `env:"JWT_PRIVATE_KEY"`
	PrivateKeyFile    string        `env:"JWT_PRIVATE_KEY_FILE"`
	AccessTokenTTL    time.Duration `env:"ACCESS_TOKEN_TTL, default=15m"`
	RefreshTokenTTL   time.Duration `env:"REFRESH_TOKEN_TTL, default=720h"`
	Argon2MemoryKiB   uint32        `env:"ARGON2_MEMORY_KIB, default=19456"`
	Argon2Iterations  uint32        `env:"ARGON2_ITERATIONS, default=2"`
	Argon2Parallelism uint8         `env:"ARGON2_PARALLELISM, default=1"`
	// HashConcurrency bounds the password hashes running at once, ARGON2_MEMORY_KIB each; more
	// logins wait for their turn until their deadline.
	HashConcurrency int `env:"HASH_CONCURRENCY, default=4"`
}

// Chat is the chat binary's settings.
type Chat struct {
	Common
	GRPC
	PublicKeys
	NATSURL       string `env:"NATS_URL, default=nats://127.0.0.1:4222"`
	SubjectPrefix string `env:"SUBJECT_PREFIX"` // default AppName
}

// Gateway is the gateway binary's settings.
type Gateway struct {
	Common
	PublicKeys
	NATSURL         string        `env:"NATS_URL, default=nats://127.0.0.1:4222"`
	SubjectPrefix   string        `env:"SUBJECT_PREFIX"` // default AppName
	AuthTarget      string        `env:"AUTH_TARGET, default=dns:///127.0.0.1:9091"`
	ChatTarget      string        `env:"CHAT_TARGET, default=dns:///127.0.0.1:9092"`
	UpstreamTimeout time.Duration `env:"UPSTREAM_TIMEOUT, default=10s"`
	AllowedOrigins  []string      `env:"WS_ALLOWED_ORIGINS"`
	SendQueue       int           `env:"WS_SEND_QUEUE"` // default DefaultWSSendQueue
	ReadLimit       int64         `env:"WS_READ_LIMIT, default=8192"`
	PingInterval    time.Duration `env:"WS_PING_INTERVAL, default=20s"`
	WriteTimeout    time.Duration `env:"WS_WRITE_TIMEOUT, default=10s"`
	MessageRate     float64       `env:"WS_MESSAGE_RATE, default=5"`
	MessageBurst    int           `env:"WS_MESSAGE_BURST, default=10"`
}

func commonDefaults(httpAddr string) map[string]string {
	return map[string]string{"HTTP_ADDR": httpAddr, "JWT_ISSUER": AppName, "JWT_AUDIENCE": AppName, "SUBJECT_PREFIX": AppName}
}

// LoadAuth reads and validates the auth binary's settings.
func LoadAuth(ctx context.Context, getenv func(string) string) (Auth, error) {
	var c Auth
	d := commonDefaults(":8081")
	d["GRPC_ADDR"] = ":9091"
	if err := load(ctx, getenv, d, &c); err != nil {
		return Auth{}, err
	}
	errs := append(c.Common.validate(), c.GRPC.validate()...)
	if c.PrivateKeyPEM == "" && c.PrivateKeyFile == "" {
		errs = append(errs, errors.New("JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE is required (make keys writes a dev pair)"))
	}
	if c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > time.Hour {
		errs = append(errs, errors.New("ACCESS_TOKEN_TTL must be between 1m and 1h: access tokens cannot be revoked"))
	}
	if c.RefreshTokenTTL < c.AccessTokenTTL {
		errs = append(errs, errors.New("REFRESH_TOKEN_TTL must be at least ACCESS_TOKEN_TTL"))
	}
	if c.Argon2MemoryKiB < 8*1024 || c.Argon2Iterations < 1 || c.Argon2Parallelism < 1 {
		errs = append(errs, errors.New("ARGON2_MEMORY_KIB must be at least 8192, ARGON2_ITERATIONS and ARGON2_PARALLELISM at least 1"))
	}
	if c.HashConcurrency < 1 {
		errs = append(errs, errors.New("HASH_CONCURRENCY must be at least 1"))
	}
	if err := joinInvalid(errs); err != nil {
		return Auth{}, err
	}
	return c, nil
}

// LoadChat reads and validates the chat binary's settings.
func LoadChat(ctx context.Context, getenv func(string) string) (Chat, error) {
	var c Chat
	d := commonDefaults(":8082")
	d["GRPC_ADDR"] = ":9092"
	if err := load(ctx, getenv, d, &c); err != nil {
		return Chat{}, err
	}
	errs := append(c.Common.validate(), c.GRPC.validate()...)
	errs = append(errs, c.PublicKeys.validate()...)
	if err := joinInvalid(errs); err != nil {
		return Chat{}, err
	}
	return c, nil
}

// LoadGateway reads and validates the gateway's settings.
func LoadGateway(ctx context.Context, getenv func(string) string) (Gateway, error) {
	var c Gateway
	d := commonDefaults(":8080")
	d["WS_SEND_QUEUE"] = strconv.Itoa(DefaultWSSendQueue)
	if err := load(ctx, getenv, d, &c); err != nil {
		return Gateway{}, err
	}
	errs := append(c.Common.validate(), c.PublicKeys.validate()...)
	if c.SendQueue < MinWSSendQueue || c.SendQueue > MaxWSSendQueue {
		errs = append(errs, fmt.Errorf("WS_SEND_QUEUE must be between %d and %d", MinWSSendQueue, MaxWSSendQueue))
	}
	if c.ReadLimit < 1024 || c.ReadLimit > 1<<20 {
		errs = append(errs, errors.New("WS_READ_LIMIT must be between 1024 and 1048576"))
	}
	if c.PingInterval < time.Second || c.WriteTimeout <= 0 || c.UpstreamTimeout <= 0 {
		errs = append(errs, errors.New("WS_PING_INTERVAL must be at least 1s; WS_WRITE_TIMEOUT and UPSTREAM_TIMEOUT positive"))
	}
	if c.MessageRate <= 0 || c.MessageBurst < 1 {
		errs = append(errs, errors.New("WS_MESSAGE_RATE must be positive and WS_MESSAGE_BURST at least 1"))
	}
	if c.AuthTarget == "" || c.ChatTarget == "" {
		errs = append(errs, errors.New("AUTH_TARGET and CHAT_TARGET are required"))
	}
	if err := joinInvalid(errs); err != nil {
		return Gateway{}, err
	}
	return c, nil
}

// LoadHTTPAddr reads only what the healthcheck subcommand needs: the binary's HTTP_ADDR.
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
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("SHUTDOWN_TIMEOUT must be positive"))
	}
	if c.JWTIssuer == "" || c.JWTAudience == "" {
		errs = append(errs, errors.New("JWT_ISSUER and JWT_AUDIENCE must not be empty"))
	}
	return errs
}

func (g GRPC) validate() []error {
	var errs []error
	if g.DefaultTimeout <= 0 {
		errs = append(errs, errors.New("GRPC_DEFAULT_TIMEOUT must be positive"))
	}
	if g.DBMaxConns < 1 {
		errs = append(errs, errors.New("DB_MAX_CONNS must be at least 1"))
	}
	return errs
}

func (k PublicKeys) validate() []error {
	if k.PEM == "" && len(k.Files) == 0 {
		return []error{errors.New("JWT_PUBLIC_KEYS or JWT_PUBLIC_KEY_FILES is required (make keys writes a dev pair)")}
	}
	return nil
}

func joinInvalid(errs []error) error {
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}
