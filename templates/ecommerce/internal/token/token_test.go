package token_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/token"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func newManager(t testing.TB, now func() time.Time) *token.Manager {
	t.Helper()
	m, err := token.New(token.Options{Secret: secret, Issuer: "shop", Audience: "shop-api", TTL: 15 * time.Minute, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sign signs claims with method and key, as an attacker or another service would.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssueParse(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	m := newManager(t, func() time.Time { return now })
	sub := uuid.New()
	tok, exp, err := m.Issue(sub, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(15 * time.Minute)) {
		t.Errorf("expires at %v, want %v", exp, now.Add(15*time.Minute))
	}
	p, err := m.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != sub || p.Role != "admin" || p.ID == "" || !p.ExpiresAt.Equal(exp) {
		t.Errorf("Parse = %+v, want subject %s, role admin, an ID, exp %v", p, sub, exp)
	}
	other, _, err := m.Issue(sub, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if other == tok {
		t.Error("two tokens issued at once are equal: the jti is not random")
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	m := newManager(t, func() time.Time { return now })
	sub := uuid.NewString()
	claims := func(edit func(*token.Claims)) *token.Claims {
		c := &token.Claims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer: "shop", Subject: sub, Audience: jwt.ClaimStrings{"shop-api"},
				ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: "x",
			},
			Role: "customer",
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	valid := sign(t, jwt.SigningMethodHS256, secret, claims(nil))
	parts := strings.Split(valid, ".")
	otherPayload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"shop","sub":"` + uuid.NewString() + `","aud":["shop-api"],"exp":9999999999,"iat":1,"role":"admin"}`))

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", valid, true},
		{"expired within the leeway", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *token.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-10 * time.Second))
		})), true},
		{"expired beyond the leeway", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *token.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
		})), false},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *token.Claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
			c.ExpiresAt = jwt.NewNumericDate(now.Add(2 * time.Hour))
		})), false},
		{"no exp", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *token.Claims) { c.ExpiresAt = nil })), false},
		{"other issuer", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *token.Claims) { c.Issuer = "evil" })), false},
		{"other audience", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *token.Claims) { c.Audience = jwt.ClaimStrings{"other"} })), false},
		{"no role", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *token.Claims) { c.Role = "" })), false},
		{"subject not a UUID", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *token.Claims) { c.Subject = "ada" })), false},
		{"other secret", sign(t, jwt.SigningMethodHS256, []byte("another secret, just as long!!!!"), claims(nil)), false},
		{"HS512 with the right secret", sign(t, jwt.SigningMethodHS512, secret, claims(nil)), false},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)), false},
		{"payload swapped", parts[0] + "." + otherPayload + "." + parts[2], false},
		{"signature dropped", parts[0] + "." + parts[1] + ".", false},
		{"empty", "", false},
		{"garbage", "not.a.jwt", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := m.Parse(tt.token)
			if tt.ok && err != nil {
				t.Errorf("Parse = %v, want success", err)
			}
			if !tt.ok && !errors.Is(err, token.ErrInvalid) {
				t.Errorf("Parse = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	good := token.Options{Secret: secret, Issuer: "i", Audience: "a", TTL: time.Minute}
	tests := map[string]func(*token.Options){
		"short secret":   func(o *token.Options) { o.Secret = secret[:31] },
		"no issuer":      func(o *token.Options) { o.Issuer = "" },
		"no audience":    func(o *token.Options) { o.Audience = "" },
		"zero TTL":       func(o *token.Options) { o.TTL = 0 },
		"negative skew":  func(o *token.Options) { o.Leeway = -time.Second },
		"nothing at all": func(o *token.Options) { *o = token.Options{} },
	}
	if _, err := token.New(good); err != nil {
		t.Fatalf("New(good) = %v", err)
	}
	for name, edit := range tests {
		opts := good
		edit(&opts)
		if _, err := token.New(opts); err == nil {
			t.Errorf("%s: New accepted %+v", name, opts)
		}
	}
	m, err := token.New(good)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Issue(uuid.Nil, "customer"); err == nil {
		t.Error("Issue accepted the nil subject")
	}
}

// FuzzParse: whatever the input, Parse neither panics nor accepts anything it did not sign.
func FuzzParse(f *testing.F) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	m := newManager(f, func() time.Time { return now })
	valid, _, err := m.Issue(uuid.New(), "customer")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-2])
	f.Add(strings.Replace(valid, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := m.Parse(s)
		if err != nil {
			if !errors.Is(err, token.ErrInvalid) {
				t.Fatalf("Parse(%q) = %v, not wrapping ErrInvalid", s, err)
			}
			return
		}
		if p.Subject == uuid.Nil || p.Role == "" {
			t.Fatalf("Parse(%q) accepted %+v", s, p)
		}
		// Only a token with our exact signature passes: re-encoding its header and claims
		// with the secret must give the same signature.
		parts := strings.Split(s, ".")
		if len(parts) != 3 {
			t.Fatalf("Parse accepted %q, which is not three parts", s)
		}
		sig, err := jwt.SigningMethodHS256.Sign(parts[0]+"."+parts[1], secret)
		if err != nil || base64.RawURLEncoding.EncodeToString(sig) != parts[2] {
			t.Fatalf("Parse accepted %q, whose signature is not ours", s)
		}
	})
}
