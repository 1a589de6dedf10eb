// Package config reads the binaries' settings from the environment. Values come through a getenv
// function rather than os.Getenv, so tests set them without touching the process environment.
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sethvargo/go-envconfig"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Common holds the settings both binaries share.
type Common struct {
	NATSURL          string        `env:"NATS_URL, default=nats://127.0.0.1:4222"`
	AdminAddr        string        `env:"ADMIN_ADDR"` // pprof listener; empty disables it
	StreamPrefix     string        `env:"STREAM_PREFIX, default=JOBQUEUE"`
	LogLevel         slog.Level    `env:"LOG_LEVEL, default=info"`
	ShutdownTimeout  time.Duration `env:"SHUTDOWN_TIMEOUT, default=25s"`
	DuplicateWindow  time.Duration `env:"DUPLICATE_WINDOW, default=2m"`
	RecordTTL        time.Duration `env:"RECORD_TTL, default=168h"`
	DeadLetterMaxAge time.Duration `env:"DEAD_LETTER_MAX_AGE, default=720h"`
}

// API holds the settings of the API binary.
type API struct {
	Common
	HTTPAddr    string `env:"HTTP_ADDR, default=:8080"`
	MaxAttempts int    `env:"MAX_ATTEMPTS, default=5"` // for jobs that do not set max_attempts
}

// Worker holds the settings of the worker binary.
type Worker struct {
	Common
	HTTPAddr    string        `env:"HTTP_ADDR, default=:8081"`
	Concurrency int           `env:"WORKER_CONCURRENCY, default={{options.workerConcurrency}}"`
	JobTimeout  time.Duration `env:"JOB_TIMEOUT, default=30s"`
	AckWait     time.Duration `env:"ACK_WAIT, default=30s"`
	BackoffBase time.Duration `env:"BACKOFF_BASE, default=1s"`
	BackoffMax  time.Duration `env:"BACKOFF_MAX, default=1m"`
}

// LoadAPI reads and validates the API settings.
func LoadAPI(ctx context.Context, getenv func(string) string) (API, error) {
	var cfg API
	if err := load(ctx, getenv, &cfg); err != nil {
		return API{}, err
	}
	errs := cfg.validate()
	if cfg.MaxAttempts < 1 || cfg.MaxAttempts > jobs.MaxAttemptsLimit {
		errs = append(errs, fmt.Errorf("MAX_ATTEMPTS must be between 1 and %d", jobs.MaxAttemptsLimit))
	}
	return cfg, joinInvalid(errs)
}

// LoadWorker reads and validates the worker settings.
func LoadWorker(ctx context.Context, getenv func(string) string) (Worker, error) {
	var cfg Worker
	if err := load(ctx, getenv, &cfg); err != nil {
		return Worker{}, err
	}
	errs := cfg.validate()
	if cfg.Concurrency < 1 {
		errs = append(errs, errors.New("WORKER_CONCURRENCY must be at least 1"))
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
	return cfg, joinInvalid(errs)
}

func load(ctx context.Context, getenv func(string) string, target any) error {
	// An empty variable counts as unset, so that defaults apply to VAR= as well.
	lookup := envconfig.LookuperFunc(func(key string) (string, bool) {
		v := getenv(key)
		return v, v != ""
	})
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
