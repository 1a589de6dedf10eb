// Package config reads the binaries' settings from the environment. Values come through a getenv
// function rather than os.Getenv, so tests set them without touching the process environment.
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/sethvargo/go-envconfig"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// The bounds of WORKER_CONCURRENCY; the generator asks for a default within the same range.
const (
	MinWorkerConcurrency = 1
	MaxWorkerConcurrency = 1024
)

// Common holds the settings both binaries share.
type Common struct {
	NATSURL          string        `env:"NATS_URL, default=nats://127.0.0.1:4222"`
	HTTPAddr         string        `env:"HTTP_ADDR"`  // default per binary: apiDefaults, workerDefaults
	AdminAddr        string        `env:"ADMIN_ADDR"` // pprof listener; empty disables it
	StreamPrefix     string        `env:"STREAM_PREFIX, default=JOBQUEUE"`
	LogLevel         slog.Level    `env:"LOG_LEVEL, default=info"`
	ShutdownTimeout  time.Duration `env:"SHUTDOWN_TIMEOUT, default=25s"`
	DuplicateWindow  time.Duration `env:"DUPLICATE_WINDOW, default=2m"`
	RecordTTL        time.Duration `env:"RECORD_TTL, default=168h"`
	DeadLetterMaxAge time.Duration `env:"DEAD_LETTER_MAX_AGE, default=720h"`
}

// Shared returns the settings both binaries share; the start-up code reads them through it.
func (c Common) Shared() Common { return c }

// API holds the settings of the API binary.
type API struct {
	Common
	MaxAttempts int `env:"MAX_ATTEMPTS, default=5"` // for jobs that do not set max_attempts
}

// Worker holds the settings of the worker binary.
type Worker struct {
	Common
	Concurrency int           `env:"WORKER_CONCURRENCY"` // default: DefaultWorkerConcurrency
	JobTimeout  time.Duration `env:"JOB_TIMEOUT, default=30s"`
	AckWait     time.Duration `env:"ACK_WAIT, default=30s"`
	BackoffBase time.Duration `env:"BACKOFF_BASE, default=1s"`
	BackoffMax  time.Duration `env:"BACKOFF_MAX, default=1m"`
}

// The defaults a struct tag cannot hold, because they differ between the binaries or come from a
// Go constant. They apply like tag defaults: when the variable is unset or empty.
func apiDefaults() map[string]string {
	return map[string]string{"HTTP_ADDR": ":8080"}
}

func workerDefaults() map[string]string {
	return map[string]string{
		"HTTP_ADDR":          ":8081",
		"WORKER_CONCURRENCY": strconv.Itoa(DefaultWorkerConcurrency),
	}
}

// LoadAPI reads and validates the API settings. On error it returns the zero API.
func LoadAPI(ctx context.Context, getenv func(string) string) (API, error) {
	var cfg API
	if err := load(ctx, getenv, apiDefaults(), &cfg); err != nil {
		return API{}, err
	}
	errs := cfg.validate()
	if cfg.MaxAttempts < 1 || cfg.MaxAttempts > jobs.MaxAttemptsLimit {
		errs = append(errs, fmt.Errorf("MAX_ATTEMPTS must be between 1 and %d", jobs.MaxAttemptsLimit))
	}
	if err := joinInvalid(errs); err != nil {
		return API{}, err
	}
	return cfg, nil
}

// LoadWorker reads and validates the worker settings. On error it returns the zero Worker.
func LoadWorker(ctx context.Context, getenv func(string) string) (Worker, error) {
	var cfg Worker
	if err := load(ctx, getenv, workerDefaults(), &cfg); err != nil {
		return Worker{}, err
	}
	errs := cfg.validate()
	if cfg.Concurrency < MinWorkerConcurrency || cfg.Concurrency > MaxWorkerConcurrency {
		errs = append(errs, fmt.Errorf("WORKER_CONCURRENCY must be between %d and %d", MinWorkerConcurrency, MaxWorkerConcurrency))
	}
	if cfg.JobTimeout <= 0 {
		errs = append(errs, errors.New("JOB_TIMEOUT must be positive"))
	}
	if cfg.AckWait < time.Second {
		errs = append(errs, errors.New("ACK_WAIT must be at least 1s"))
	}
	if cfg.BackoffBase <= 0 || cfg.BackoffMax < cfg.BackoffBase {
		errs = append(errs, errors.New("BACKOFF_BASE must be positive and at most BACKOFF_MAX"))
	}
	if err := joinInvalid(errs); err != nil {
		return Worker{}, err
	}
	return cfg, nil
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
	if c.DuplicateWindow <= 0 || c.RecordTTL <= 0 || c.DeadLetterMaxAge <= 0 {
		errs = append(errs, errors.New("DUPLICATE_WINDOW, RECORD_TTL and DEAD_LETTER_MAX_AGE must be positive"))
	}
	return errs
}

func joinInvalid(errs []error) error {
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}
