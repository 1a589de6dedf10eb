package config_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/chat/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

var (
	authEnv = map[string]string{"DATABASE_URL": "postgres://x/auth", "JWT_PRIVATE_KEY_FILE": "keys/jwt.pem"}
	chatEnv = map[string]string{"DATABASE_URL": "postgres://x/chat", "JWT_PUBLIC_KEY_FILES": "a.pem,b.pem"}
	gwEnv   = map[string]string{"JWT_PUBLIC_KEYS": "-----BEGIN PUBLIC KEY-----"}
)

func TestLoadAuth(t *testing.T) {
	t.Parallel()
	c, err := config.LoadAuth(t.Context(), env(authEnv))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8081" || c.GRPCAddr != ":9091" || c.JWTIssuer != config.AppName || c.AccessTokenTTL != 15*time.Minute ||
		c.Argon2MemoryKiB != 19456 || c.HashConcurrency != 4 || c.Reflection || !c.MigrateOnStart {
		t.Errorf("defaults = %+v", c)
	}
	for name, tt := range map[string]struct {
		env  map[string]string
		want string
	}{
		"no database":         {with(authEnv, "DATABASE_URL", ""), "DATABASE_URL"},
		"no key":              {with(authEnv, "JWT_PRIVATE_KEY_FILE", ""), "JWT_PRIVATE_KEY"},
		"long access tokens":  {with(authEnv, "ACCESS_TOKEN_TTL", "2h"), "ACCESS_TOKEN_TTL"},
		"short refresh":       {with(authEnv, "REFRESH_TOKEN_TTL", "1m"), "REFRESH_TOKEN_TTL"},
		"weak argon2":         {with(authEnv, "ARGON2_MEMORY_KIB", "1024"), "ARGON2_MEMORY_KIB"},
		"no hashes at once":   {with(authEnv, "HASH_CONCURRENCY", "0"), "HASH_CONCURRENCY"},
		"negative hashes":     {with(authEnv, "HASH_CONCURRENCY", "-2"), "HASH_CONCURRENCY"},
		"unparsable hashes":   {with(authEnv, "HASH_CONCURRENCY", "many"), "HashConcurrency"},
		"unparsable duration": {with(authEnv, "SHUTDOWN_TIMEOUT", "soon"), "ShutdownTimeout"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := config.LoadAuth(t.Context(), env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %s", err, tt.want)
			}
			if !reflect.ValueOf(c).IsZero() {
				t.Errorf("returned %+v with the error, want the zero value", c)
			}
		})
	}
}

func TestLoadChat(t *testing.T) {
	t.Parallel()
	c, err := config.LoadChat(t.Context(), env(chatEnv))
	if err != nil {
		t.Fatal(err)
	}
	if c.GRPCAddr != ":9092" || c.SubjectPrefix != config.AppName || !reflect.DeepEqual(c.Files, []string{"a.pem", "b.pem"}) {
		t.Errorf("defaults = %+v", c)
	}
	if _, err := config.LoadChat(t.Context(), env(with(chatEnv, "JWT_PUBLIC_KEY_FILES", ""))); err == nil || !strings.Contains(err.Error(), "JWT_PUBLIC_KEYS") {
		t.Errorf("no public key: %v", err)
	}
}

func TestLoadGateway(t *testing.T) {
	t.Parallel()
	c, err := config.LoadGateway(t.Context(), env(with(gwEnv, "WS_ALLOWED_ORIGINS", "chat.example.com,*.chat.example.com")))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.SendQueue != config.DefaultWSSendQueue || c.PingInterval != 20*time.Second ||
		len(c.AllowedOrigins) != 2 || c.ChatTarget != "dns:///127.0.0.1:9092" {
		t.Errorf("config = %+v", c)
	}
	for name, tt := range map[string]struct {
		env  map[string]string
		want string
	}{
		"queue too small": {with(gwEnv, "WS_SEND_QUEUE", "0"), "WS_SEND_QUEUE"},
		"queue too large": {with(gwEnv, "WS_SEND_QUEUE", strconv.Itoa(config.MaxWSSendQueue+1)), "WS_SEND_QUEUE"},
		"tiny read limit": {with(gwEnv, "WS_READ_LIMIT", "10"), "WS_READ_LIMIT"},
		"fast pings":      {with(gwEnv, "WS_PING_INTERVAL", "10ms"), "WS_PING_INTERVAL"},
		"no rate":         {with(gwEnv, "WS_MESSAGE_RATE", "0"), "WS_MESSAGE_RATE"},
		"no keys":         {map[string]string{}, "JWT_PUBLIC_KEYS"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := config.LoadGateway(t.Context(), env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %s", err, tt.want)
			}
			if !reflect.ValueOf(c).IsZero() {
				t.Errorf("returned %+v with the error, want the zero value", c)
			}
		})
	}
}

// The default chosen at generation must itself pass validation.
func TestDefaultWSSendQueueWithinBounds(t *testing.T) {
	t.Parallel()
	if config.DefaultWSSendQueue < config.MinWSSendQueue || config.DefaultWSSendQueue > config.MaxWSSendQueue {
		t.Fatalf("DefaultWSSendQueue %d outside [%d, %d]", config.DefaultWSSendQueue, config.MinWSSendQueue, config.MaxWSSendQueue)
	}
}
