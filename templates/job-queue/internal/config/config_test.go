package config_test

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/job-queue/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadWorker(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c config.Worker)
		wantErr string
	}{
		{
			name: "defaults",
			env:  map[string]string{},
			check: func(t *testing.T, c config.Worker) {
				t.Helper()
				if c.NATSURL != "nats://127.0.0.1:4222" || c.HTTPAddr != ":8081" || c.StreamPrefix != "JOBQUEUE" ||
					c.Concurrency != config.DefaultWorkerConcurrency || c.JobTimeout != 30*time.Second || c.AckWait != 30*time.Second ||
					c.BackoffBase != time.Second || c.BackoffMax != time.Minute || c.LogLevel != slog.LevelInfo || c.AdminAddr != "" {
					t.Errorf("defaults = %+v", c)
				}
			},
		},
		{
			name: "overrides",
			env:  map[string]string{"WORKER_CONCURRENCY": "2", "LOG_LEVEL": "debug", "ACK_WAIT": "5s", "ADMIN_ADDR": ":6061", "HTTP_ADDR": ""},
			check: func(t *testing.T, c config.Worker) {
				t.Helper()
				if c.Concurrency != 2 || c.LogLevel != slog.LevelDebug || c.AckWait != 5*time.Second || c.AdminAddr != ":6061" || c.HTTPAddr != ":8081" {
					t.Errorf("config = %+v", c)
				}
			},
		},
		{name: "lowest concurrency", env: concurrency(config.MinWorkerConcurrency), check: wantConcurrency(config.MinWorkerConcurrency)},
		{name: "highest concurrency", env: concurrency(config.MaxWorkerConcurrency), check: wantConcurrency(config.MaxWorkerConcurrency)},
		{name: "unparsable duration", env: map[string]string{"JOB_TIMEOUT": "soon"}, wantErr: "JobTimeout"}, // envconfig names the field
		{name: "unknown log level", env: map[string]string{"LOG_LEVEL": "chatty"}, wantErr: "LogLevel"},
		{name: "zero concurrency", env: map[string]string{"WORKER_CONCURRENCY": "0"}, wantErr: "WORKER_CONCURRENCY"},
		{name: "concurrency above the bound", env: concurrency(config.MaxWorkerConcurrency + 1), wantErr: "WORKER_CONCURRENCY"},
		{name: "short ack wait", env: map[string]string{"ACK_WAIT": "10ms"}, wantErr: "ACK_WAIT"},
		{name: "inverted backoff", env: map[string]string{"BACKOFF_BASE": "2m"}, wantErr: "BACKOFF_BASE"},
		{name: "negative shutdown timeout", env: map[string]string{"SHUTDOWN_TIMEOUT": "-1s"}, wantErr: "SHUTDOWN_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.LoadWorker(t.Context(), env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadWorker error = %v, want one mentioning %s", err, tt.wantErr)
				}
				if c != (config.Worker{}) {
					t.Errorf("LoadWorker returned %+v with its error, want the zero value", c)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadWorker: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func concurrency(n int) map[string]string {
	return map[string]string{"WORKER_CONCURRENCY": strconv.Itoa(n)}
}

func wantConcurrency(n int) func(*testing.T, config.Worker) {
	return func(t *testing.T, c config.Worker) {
		t.Helper()
		if c.Concurrency != n {
			t.Errorf("Concurrency = %d, want %d", c.Concurrency, n)
		}
	}
}

// The default chosen at generation must itself pass validation.
func TestDefaultWorkerConcurrencyWithinBounds(t *testing.T) {
	t.Parallel()
	if config.DefaultWorkerConcurrency < config.MinWorkerConcurrency || config.DefaultWorkerConcurrency > config.MaxWorkerConcurrency {
		t.Fatalf("DefaultWorkerConcurrency %d outside [%d, %d]", config.DefaultWorkerConcurrency, config.MinWorkerConcurrency, config.MaxWorkerConcurrency)
	}
}

func TestLoadAPI(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "defaults", env: map[string]string{}},
		{name: "max attempts", env: map[string]string{"MAX_ATTEMPTS": "25"}},
		{name: "max attempts too high", env: map[string]string{"MAX_ATTEMPTS": "26"}, wantErr: "MAX_ATTEMPTS"},
		{name: "max attempts zero", env: map[string]string{"MAX_ATTEMPTS": "-1"}, wantErr: "MAX_ATTEMPTS"},
		{name: "worker settings are ignored", env: map[string]string{"WORKER_CONCURRENCY": "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.LoadAPI(t.Context(), env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadAPI error = %v, want one mentioning %s", err, tt.wantErr)
				}
				if c != (config.API{}) {
					t.Errorf("LoadAPI returned %+v with its error, want the zero value", c)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadAPI: %v", err)
			}
			if c.HTTPAddr != ":8080" || c.MaxAttempts < 1 || c.ShutdownTimeout != 25*time.Second {
				t.Errorf("config = %+v", c)
			}
		})
	}
}
