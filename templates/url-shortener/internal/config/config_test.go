package config_test

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/url-shortener/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func required() map[string]string {
	return map[string]string{
		"DATABASE_URL": "postgres://localhost/db",
		"REDIS_URL":    "redis://localhost:6379/0",
	}
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(t.Context(), env(required()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != ":"+strconv.Itoa(config.DefaultHTTPPort) || cfg.CodeLength != config.DefaultCodeLength ||
		cfg.RedisKeyPrefix != config.AppName+":" {
		t.Fatalf("generated defaults not applied: %+v", cfg)
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://localhost:") || !strings.HasSuffix(cfg.HTTPAddr, cfg.BaseURL[len("http://localhost"):]) {
		t.Errorf("BaseURL %q does not follow HTTPAddr %q", cfg.BaseURL, cfg.HTTPAddr)
	}
	if cfg.AdminAddr != "" || cfg.APIToken != "" || len(cfg.TrustedProxies) != 0 {
		t.Errorf("optional settings must default to off: %+v", cfg)
	}
	// Spans are exported only to an endpoint someone set.
	if want := (config.Tracing{ServiceName: config.AppName}); cfg.Tracing != want {
		t.Errorf("Tracing = %+v, want %+v", cfg.Tracing, want)
	}
	if !cfg.MigrateOnStart || cfg.LogLevel != slog.LevelInfo || cfg.CacheTTL != time.Hour ||
		cfg.LocalCacheSize != 10_000 || cfg.LocalCacheTTL != 5*time.Second ||
		cfg.HitFlushInterval != time.Second || cfg.ShutdownTimeout != 15*time.Second ||
		cfg.RateLimitRPS != 5 || cfg.RateLimitBurst != 10 {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	if p := cfg.Postgres; p.URL != "postgres://localhost/db" || p.MaxOpenConns != 20 || p.MaxIdleConns != 10 || p.ConnMaxLifetime != 30*time.Minute {
		t.Errorf("unexpected pool defaults: %+v", p)
	}

	listen, err := config.LoadListen(t.Context(), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if listen != cfg.Listen {
		t.Errorf("LoadListen() = %+v, want %+v", listen, cfg.Listen)
	}
}

func TestLoadOverrides(t *testing.T) {
	t.Parallel()
	m := required()
	m["HTTP_ADDR"] = "127.0.0.1:9000"
	m["BASE_URL"] = "https://sho.rt"
	m["LOG_LEVEL"] = "debug"
	m["MIGRATE_ON_START"] = "false"
	m["TRUSTED_PROXIES"] = "10.0.0.0/8,192.168.1.1"
	m["CACHE_TTL"] = "5m"
	m["LOCAL_CACHE_SIZE"] = "0"
	m["LOCAL_CACHE_TTL"] = "1m"
	m["CODE_LENGTH"] = "16"
	m["REDIS_KEY_PREFIX"] = "links:"
	m["DB_MAX_OPEN_CONNS"] = "4"
	m["DB_MAX_IDLE_CONNS"] = "0"
	m["OTEL_SERVICE_NAME"] = "links-eu"
	m["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://otel-collector:4318"
	m["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "https://traces.example.com/v1/traces"
	cfg, err := config.Load(t.Context(), env(m))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:9000" || cfg.BaseURL != "https://sho.rt" || cfg.LogLevel != slog.LevelDebug ||
		cfg.MigrateOnStart || len(cfg.TrustedProxies) != 2 || cfg.CacheTTL != 5*time.Minute || cfg.CodeLength != 16 ||
		cfg.LocalCacheSize != 0 || cfg.LocalCacheTTL != time.Minute ||
		cfg.RedisKeyPrefix != "links:" || cfg.Postgres.MaxOpenConns != 4 || cfg.Postgres.MaxIdleConns != 0 {
		t.Errorf("overrides not applied: %+v", cfg)
	}
	if want := (config.Tracing{ServiceName: "links-eu", Endpoint: "http://otel-collector:4318", TracesEndpoint: "https://traces.example.com/v1/traces"}); cfg.Tracing != want {
		t.Errorf("Tracing = %+v, want %+v", cfg.Tracing, want)
	}

	delete(m, "BASE_URL")
	if cfg, err = config.Load(t.Context(), env(m)); err != nil || cfg.BaseURL != "http://localhost:9000" {
		t.Errorf("derived BaseURL = %q, %v", cfg.BaseURL, err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		set     map[string]string
		unset   string
		wantErr string
	}{
		{name: "missing database", unset: "DATABASE_URL", wantErr: "DATABASE_URL"},
		{name: "missing redis", unset: "REDIS_URL", wantErr: "REDIS_URL"},
		{name: "bad duration", set: map[string]string{"CACHE_TTL": "soon"}, wantErr: "CacheTTL"},
		{name: "zero duration", set: map[string]string{"HIT_FLUSH_INTERVAL": "0s"}, wantErr: "HIT_FLUSH_INTERVAL"},
		{name: "negative local cache size", set: map[string]string{"LOCAL_CACHE_SIZE": "-1"}, wantErr: "LOCAL_CACHE_SIZE"},
		{name: "local cache too big", set: map[string]string{"LOCAL_CACHE_SIZE": "1000001"}, wantErr: "LOCAL_CACHE_SIZE"},
		{name: "zero local cache ttl", set: map[string]string{"LOCAL_CACHE_TTL": "0s"}, wantErr: "LOCAL_CACHE_TTL"},
		{name: "local cache ttl too long", set: map[string]string{"LOCAL_CACHE_TTL": "61s"}, wantErr: "LOCAL_CACHE_TTL"},
		{name: "short code", set: map[string]string{"CODE_LENGTH": "4"}, wantErr: "CODE_LENGTH"},
		{name: "long code", set: map[string]string{"CODE_LENGTH": "17"}, wantErr: "CODE_LENGTH"},
		{name: "no connections", set: map[string]string{"DB_MAX_OPEN_CONNS": "0"}, wantErr: "DB_MAX_OPEN_CONNS"},
		{name: "more idle than open", set: map[string]string{"DB_MAX_OPEN_CONNS": "2", "DB_MAX_IDLE_CONNS": "3"}, wantErr: "DB_MAX_IDLE_CONNS"},
		{name: "zero lifetime", set: map[string]string{"DB_CONN_MAX_LIFETIME": "0s"}, wantErr: "DB_CONN_MAX_LIFETIME"},
		{name: "bad level", set: map[string]string{"LOG_LEVEL": "loud"}, wantErr: "LogLevel"},
		{name: "bad base url", set: map[string]string{"BASE_URL": "sho.rt"}, wantErr: "BASE_URL"},
		{name: "bad addr", set: map[string]string{"HTTP_ADDR": "no-port"}, wantErr: "HTTP_ADDR"},
		{name: "bad admin addr", set: map[string]string{"ADMIN_ADDR": "localhost"}, wantErr: "ADMIN_ADDR"},
		{name: "bad proxy", set: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, wantErr: "TRUSTED_PROXIES"},
		{name: "zero rate", set: map[string]string{"RATE_LIMIT_RPS": "0"}, wantErr: "RATE_LIMIT_RPS"},
		{name: "zero burst", set: map[string]string{"RATE_LIMIT_BURST": "0"}, wantErr: "RATE_LIMIT_BURST"},
		{name: "otlp endpoint without scheme", set: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "otel-collector:4318"}, wantErr: "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{name: "otlp traces endpoint over grpc", set: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "grpc://otel-collector:4317"}, wantErr: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := required()
			delete(m, tt.unset)
			for k, v := range tt.set {
				m[k] = v
			}
			cfg, err := config.Load(t.Context(), env(m))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load() error = %v, want mention of %s", err, tt.wantErr)
			}
			if cfg.HTTPAddr != "" || cfg.Postgres.URL != "" {
				t.Errorf("Load() returned %+v with its error, want the zero Config", cfg)
			}
		})
	}
}

func TestLoadMigrate(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadMigrate(t.Context(), env(map[string]string{"DATABASE_URL": "postgres://x/y"}))
	if err != nil || cfg.Postgres.URL != "postgres://x/y" || cfg.Postgres.MaxOpenConns != 20 {
		t.Fatalf("LoadMigrate() = %+v, %v", cfg, err)
	}
	if _, err := config.LoadMigrate(t.Context(), env(nil)); err == nil {
		t.Fatal("LoadMigrate() without DATABASE_URL succeeded")
	}
	if _, err := config.LoadMigrate(t.Context(), env(map[string]string{"DATABASE_URL": "postgres://x/y", "DB_MAX_OPEN_CONNS": "-1"})); err == nil {
		t.Fatal("LoadMigrate() accepted DB_MAX_OPEN_CONNS=-1")
	}
}

func TestLoadListen(t *testing.T) {
	t.Parallel()
	if _, err := config.LoadListen(t.Context(), env(map[string]string{"HTTP_ADDR": "nope"})); err == nil || !strings.Contains(err.Error(), "HTTP_ADDR") {
		t.Fatalf("LoadListen() error = %v, want mention of HTTP_ADDR", err)
	}
}
