package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/ecommerce/internal/config"
)

const secret = "0123456789abcdef0123456789abcdef" // 32 bytes: the shortest JWT_SECRET accepted

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// with is base with the pairs kv set (an empty value unsets, as an empty variable does).
func with(base map[string]string, kv ...string) map[string]string {
	out := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

var (
	apiEnv    = map[string]string{"DATABASE_URL": "postgres://x/shop", "JWT_SECRET": secret}
	workerEnv = map[string]string{"DATABASE_URL": "postgres://x/shop", "AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/"}
)

func TestLoadAPI(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c config.API)
		wantErr string
	}{
		{
			name: "defaults",
			env:  apiEnv,
			check: func(t *testing.T, c config.API) {
				t.Helper()
				if c.HTTPAddr != config.DefaultAPIHTTPAddr || c.AdminAddr != "" || c.LogLevel != slog.LevelInfo ||
					c.ShutdownTimeout != 25*time.Second || c.DBMaxConns != 10 || c.RequestTimeout != 5*time.Second ||
					c.JWTIssuer != config.AppName || c.JWTAudience != config.AppName || c.AccessTokenTTL != time.Hour ||
					c.Argon2MemoryKiB != 19456 || c.Argon2Iterations != 2 || c.Argon2Parallelism != 1 || c.HashConcurrency != 4 ||
					c.LowStockThreshold != config.DefaultLowStockThreshold || string(c.JWTSecret) != secret {
					t.Errorf("defaults = %#v", c)
				}
			},
		},
		{
			name: "overrides, and empty counts as unset",
			env: with(apiEnv, "HTTP_ADDR", "", "ADMIN_ADDR", "127.0.0.1:6060", "LOG_LEVEL", "debug", "JWT_ISSUER", "shop.example.com",
				"ACCESS_TOKEN_TTL", "15m", "LOW_STOCK_THRESHOLD", "0", "DB_MAX_CONNS", "25", "REQUEST_TIMEOUT", "3s"),
			check: func(t *testing.T, c config.API) {
				t.Helper()
				if c.HTTPAddr != config.DefaultAPIHTTPAddr || c.AdminAddr != "127.0.0.1:6060" || c.LogLevel != slog.LevelDebug ||
					c.JWTIssuer != "shop.example.com" || c.JWTAudience != config.AppName || c.AccessTokenTTL != 15*time.Minute ||
					c.LowStockThreshold != 0 || c.DBMaxConns != 25 || c.RequestTimeout != 3*time.Second {
					t.Errorf("config = %#v", c)
				}
			},
		},
		{name: "lowest threshold", env: threshold(config.MinLowStockThreshold), check: wantThreshold(config.MinLowStockThreshold)},
		{name: "highest threshold", env: threshold(config.MaxLowStockThreshold), check: wantThreshold(config.MaxLowStockThreshold)},
		{name: "worker settings are ignored", env: with(apiEnv, "WORKER_CONCURRENCY", "0", "AMQP_PREFIX", "amq.x"), check: func(*testing.T, config.API) {}},

		{name: "no database", env: with(apiEnv, "DATABASE_URL", ""), wantErr: "DATABASE_URL"},
		{name: "no secret", env: with(apiEnv, "JWT_SECRET", ""), wantErr: "JWT_SECRET"},
		{name: "short secret", env: with(apiEnv, "JWT_SECRET", secret[:31]), wantErr: "JWT_SECRET must be at least 32 bytes"},
		{name: "blank issuer", env: with(apiEnv, "JWT_ISSUER", "  "), wantErr: "JWT_ISSUER"},
		{name: "short tokens", env: with(apiEnv, "ACCESS_TOKEN_TTL", "30s"), wantErr: "ACCESS_TOKEN_TTL"},
		{name: "long tokens", env: with(apiEnv, "ACCESS_TOKEN_TTL", "25h"), wantErr: "ACCESS_TOKEN_TTL"},
		{name: "weak argon2", env: with(apiEnv, "ARGON2_MEMORY_KIB", "1024"), wantErr: "ARGON2_MEMORY_KIB"},
		{name: "no argon2 iterations", env: with(apiEnv, "ARGON2_ITERATIONS", "0"), wantErr: "ARGON2_ITERATIONS"},
		{name: "no hashes at once", env: with(apiEnv, "HASH_CONCURRENCY", "0"), wantErr: "HASH_CONCURRENCY"},
		{name: "threshold below the bound", env: threshold(config.MinLowStockThreshold - 1), wantErr: "LOW_STOCK_THRESHOLD"},
		{name: "threshold above the bound", env: threshold(config.MaxLowStockThreshold + 1), wantErr: "LOW_STOCK_THRESHOLD"},
		{name: "no connections", env: with(apiEnv, "DB_MAX_CONNS", "0"), wantErr: "DB_MAX_CONNS"},
		{name: "no request timeout", env: with(apiEnv, "REQUEST_TIMEOUT", "-1s"), wantErr: "REQUEST_TIMEOUT"},
		{name: "a request timeout past the write timeout", env: with(apiEnv, "REQUEST_TIMEOUT", "9s"), wantErr: "REQUEST_TIMEOUT must be at most 8s"},
		{name: "negative shutdown timeout", env: with(apiEnv, "SHUTDOWN_TIMEOUT", "-1s"), wantErr: "SHUTDOWN_TIMEOUT"},
		// envconfig names the field of a value it cannot parse.
		{name: "unparsable duration", env: with(apiEnv, "ACCESS_TOKEN_TTL", "soon"), wantErr: "AccessTokenTTL"},
		{name: "unparsable number", env: with(apiEnv, "HASH_CONCURRENCY", "many"), wantErr: "HashConcurrency"},
		{name: "unknown log level", env: with(apiEnv, "LOG_LEVEL", "chatty"), wantErr: "LogLevel"},
		{name: "parallelism out of its type", env: with(apiEnv, "ARGON2_PARALLELISM", "256"), wantErr: "Argon2Parallelism"},
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
					t.Errorf("LoadAPI returned %#v with its error, want the zero value", c)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadAPI: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func threshold(n int) map[string]string {
	return with(apiEnv, "LOW_STOCK_THRESHOLD", strconv.Itoa(n))
}

func wantThreshold(n int) func(*testing.T, config.API) {
	return func(t *testing.T, c config.API) {
		t.Helper()
		if c.LowStockThreshold != n {
			t.Errorf("LowStockThreshold = %d, want %d", c.LowStockThreshold, n)
		}
	}
}

func TestCursorKey(t *testing.T) {
	t.Parallel()
	load := func(m map[string]string) config.API {
		t.Helper()
		c, err := config.LoadAPI(t.Context(), env(m))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	derived := load(apiEnv).CursorKey
	if len(derived) != 32 || string(derived) == secret {
		t.Errorf("derived cursor key: %d bytes, or the JWT secret itself", len(derived))
	}
	if again := load(apiEnv).CursorKey; again != derived {
		t.Error("the derived cursor key differs between two loads: replicas would refuse each other's cursors")
	}
	if other := load(with(apiEnv, "JWT_SECRET", strings.Repeat("x", 32))).CursorKey; other == derived {
		t.Error("two JWT secrets derive the same cursor key")
	}
	if set := load(with(apiEnv, "CURSOR_KEY", "0123456789abcdef")).CursorKey; set != "0123456789abcdef" {
		t.Errorf("CURSOR_KEY given: %q used", string(set))
	}
	if _, err := config.LoadAPI(t.Context(), env(with(apiEnv, "CURSOR_KEY", "short"))); err == nil || !strings.Contains(err.Error(), "CURSOR_KEY") {
		t.Errorf("short CURSOR_KEY: %v", err)
	}
}

func TestLoadAPIReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	_, err := config.LoadAPI(t.Context(), env(with(apiEnv, "JWT_SECRET", "short", "HASH_CONCURRENCY", "0", "LOW_STOCK_THRESHOLD", "-1")))
	for _, want := range []string{"JWT_SECRET", "HASH_CONCURRENCY", "LOW_STOCK_THRESHOLD"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to mention %s", err, want)
		}
	}
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
			env:  workerEnv,
			check: func(t *testing.T, c config.Worker) {
				t.Helper()
				if c.HTTPAddr != config.DefaultWorkerHTTPAddr || c.AdminAddr != "" || c.LogLevel != slog.LevelInfo ||
					c.ShutdownTimeout != 25*time.Second || c.DBMaxConns != 10 || c.RequestTimeout != 5*time.Second ||
					c.AMQPURL != workerEnv["AMQP_URL"] || c.AMQPPrefix != config.AppName ||
					c.MaxDeliveryAttempts != config.DefaultMaxDeliveryAttempts || c.RetryDelay != 5*time.Second ||
					c.Prefetch != 32 || c.Concurrency != 8 || c.RelayBatch != 100 || c.RelayInterval != 500*time.Millisecond {
					t.Errorf("defaults = %#v", c)
				}
			},
		},
		{
			name: "overrides",
			env: with(workerEnv, "HTTP_ADDR", "127.0.0.1:9100", "AMQP_PREFIX", "shop.test-1_a", "RETRY_DELAY", "250ms",
				"PREFETCH", "64", "WORKER_CONCURRENCY", "16", "RELAY_BATCH", "500", "RELAY_INTERVAL", "50ms"),
			check: func(t *testing.T, c config.Worker) {
				t.Helper()
				if c.HTTPAddr != "127.0.0.1:9100" || c.AMQPPrefix != "shop.test-1_a" || c.RetryDelay != 250*time.Millisecond ||
					c.Prefetch != 64 || c.Concurrency != 16 || c.RelayBatch != 500 || c.RelayInterval != 50*time.Millisecond {
					t.Errorf("config = %#v", c)
				}
			},
		},
		{name: "fewest attempts", env: attempts(config.MinMaxDeliveryAttempts), check: wantAttempts(config.MinMaxDeliveryAttempts)},
		{name: "most attempts", env: attempts(config.MaxMaxDeliveryAttempts), check: wantAttempts(config.MaxMaxDeliveryAttempts)},
		{name: "api settings are ignored", env: with(workerEnv, "JWT_SECRET", "short", "LOW_STOCK_THRESHOLD", "-1"), check: func(*testing.T, config.Worker) {}},

		{name: "no database", env: with(workerEnv, "DATABASE_URL", ""), wantErr: "DATABASE_URL"},
		{name: "no broker", env: with(workerEnv, "AMQP_URL", ""), wantErr: "AMQP_URL"},
		{name: "no attempts", env: attempts(config.MinMaxDeliveryAttempts - 1), wantErr: "MAX_DELIVERY_ATTEMPTS"},
		{name: "attempts above the bound", env: attempts(config.MaxMaxDeliveryAttempts + 1), wantErr: "MAX_DELIVERY_ATTEMPTS"},
		{name: "prefix with a space", env: with(workerEnv, "AMQP_PREFIX", "my shop"), wantErr: "AMQP_PREFIX"},
		{name: "prefix starting with a dot", env: with(workerEnv, "AMQP_PREFIX", ".shop"), wantErr: "AMQP_PREFIX"},
		{name: "reserved prefix", env: with(workerEnv, "AMQP_PREFIX", "amq"), wantErr: "AMQP_PREFIX"},
		{name: "reserved prefix with a dot", env: with(workerEnv, "AMQP_PREFIX", "amq.shop"), wantErr: "AMQP_PREFIX"},
		{name: "long prefix", env: with(workerEnv, "AMQP_PREFIX", strings.Repeat("a", 65)), wantErr: "AMQP_PREFIX"},
		{name: "tiny retry delay", env: with(workerEnv, "RETRY_DELAY", "10ms"), wantErr: "RETRY_DELAY"},
		{name: "no prefetch", env: with(workerEnv, "PREFETCH", "0"), wantErr: "PREFETCH"},
		{name: "prefetch beyond 16 bits", env: with(workerEnv, "PREFETCH", "65536"), wantErr: "PREFETCH"},
		{name: "no concurrency", env: with(workerEnv, "WORKER_CONCURRENCY", "0"), wantErr: "WORKER_CONCURRENCY"},
		{name: "no batch", env: with(workerEnv, "RELAY_BATCH", "-5"), wantErr: "RELAY_BATCH"},
		{name: "busy relay", env: with(workerEnv, "RELAY_INTERVAL", "1ms"), wantErr: "RELAY_INTERVAL"},
		{name: "unparsable duration", env: with(workerEnv, "RETRY_DELAY", "later"), wantErr: "RetryDelay"},
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
					t.Errorf("LoadWorker returned %#v with its error, want the zero value", c)
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

func attempts(n int) map[string]string {
	return with(workerEnv, "MAX_DELIVERY_ATTEMPTS", strconv.Itoa(n))
}

func wantAttempts(n int) func(*testing.T, config.Worker) {
	return func(t *testing.T, c config.Worker) {
		t.Helper()
		if c.MaxDeliveryAttempts != n {
			t.Errorf("MaxDeliveryAttempts = %d, want %d", c.MaxDeliveryAttempts, n)
		}
	}
}

func TestLoadHTTPAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, fallback, want string
	}{
		{"set", "127.0.0.1:9000", config.DefaultAPIHTTPAddr, "127.0.0.1:9000"},
		{"unset", "", config.DefaultWorkerHTTPAddr, config.DefaultWorkerHTTPAddr},
		{"blank", "  ", config.DefaultAPIHTTPAddr, config.DefaultAPIHTTPAddr},
		{"trimmed", " :9000 ", config.DefaultAPIHTTPAddr, ":9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := config.LoadHTTPAddr(env(map[string]string{"HTTP_ADDR": tt.value}), tt.fallback); got != tt.want {
				t.Errorf("LoadHTTPAddr = %q, want %q", got, tt.want)
			}
		})
	}
}

// The JWT secret never reaches a log line, an error message or JSON by accident.
func TestSecretIsNeverPrinted(t *testing.T) {
	t.Parallel()
	c, err := config.LoadAPI(t.Context(), env(apiEnv))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", slog.Any("config", c), slog.Any("secret", c.JWTSecret))
	encoded, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c), "Sprint": fmt.Sprint(c.JWTSecret),
		"slog": logged.String(), "json": string(encoded),
	} {
		if strings.Contains(text, secret) || !strings.Contains(text, "[redacted]") {
			t.Errorf("%s shows the secret, or not [redacted]: %s", name, text)
		}
	}
	if got := []byte(c.JWTSecret); string(got) != secret {
		t.Errorf("[]byte(JWTSecret) = %q, want the secret itself", got)
	}
}

// The defaults chosen at generation must themselves pass validation.
func TestDefaultsWithinBounds(t *testing.T) {
	t.Parallel()
	if config.DefaultLowStockThreshold < config.MinLowStockThreshold || config.DefaultLowStockThreshold > config.MaxLowStockThreshold {
		t.Errorf("DefaultLowStockThreshold %d outside [%d, %d]", config.DefaultLowStockThreshold, config.MinLowStockThreshold, config.MaxLowStockThreshold)
	}
	if config.DefaultMaxDeliveryAttempts < config.MinMaxDeliveryAttempts || config.DefaultMaxDeliveryAttempts > config.MaxMaxDeliveryAttempts {
		t.Errorf("DefaultMaxDeliveryAttempts %d outside [%d, %d]", config.DefaultMaxDeliveryAttempts, config.MinMaxDeliveryAttempts, config.MaxMaxDeliveryAttempts)
	}
}
