package jwtauth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"example.com/gopher-template/chat/internal/jwtauth"
)

const (
	testIssuer   = "chat-auth"
	testAudience = "chat"
)

var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func publicOf(k ed25519.PrivateKey) ed25519.PublicKey {
	pub, _ := k.Public().(ed25519.PublicKey)
	return pub
}

func issuer(t *testing.T, key ed25519.PrivateKey, iss, aud string, now time.Time) *jwtauth.Issuer {
	t.Helper()
	i, err := jwtauth.NewIssuer(key, jwtauth.IssuerOptions{Issuer: iss, Audience: aud, TTL: 5 * time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func verifier(t *testing.T, now time.Time, keys ...ed25519.PublicKey) *jwtauth.Verifier {
	t.Helper()
	v, err := jwtauth.NewVerifier(keys, jwtauth.VerifierOptions{Issuer: testIssuer, Audience: testAudience, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func issue(t *testing.T, i *jwtauth.Issuer) string {
	t.Helper()
	tok, _, err := i.Issue(jwtauth.Principal{UserID: "u-1", Username: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyAccepts(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	tok, exp, err := issuer(t, key, testIssuer, testAudience, epoch).Issue(jwtauth.Principal{UserID: "u-1", Username: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(epoch.Add(5 * time.Minute)) {
		t.Errorf("expiry = %v, want %v", exp, epoch.Add(5*time.Minute))
	}
	// A verifier in the middle of a key rotation holds both keys.
	p, err := verifier(t, epoch.Add(time.Minute), publicOf(newKey(t)), publicOf(key)).Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p != (jwtauth.Principal{UserID: "u-1", Username: "ada"}) {
		t.Errorf("principal = %+v", p)
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	good := issuer(t, key, testIssuer, testAudience, epoch)
	pub := publicOf(key)
	kid := jwtauth.KeyID(pub)

	tests := []struct {
		name  string
		token func(t *testing.T) string
		now   time.Time
	}{
		{name: "expired", token: func(t *testing.T) string { return issue(t, good) }, now: epoch.Add(5*time.Minute + jwtauth.Leeway + time.Second)},
		{name: "not yet valid", token: func(t *testing.T) string { return issue(t, good) }, now: epoch.Add(-jwtauth.Leeway - time.Minute)},
		{name: "wrong issuer", token: func(t *testing.T) string { return issue(t, issuer(t, key, "someone-else", testAudience, epoch)) }, now: epoch},
		{name: "wrong audience", token: func(t *testing.T) string { return issue(t, issuer(t, key, testIssuer, "billing", epoch)) }, now: epoch},
		{name: "signed by another key under our key id", token: func(t *testing.T) string {
			return signed(t, jwt.SigningMethodEdDSA, newKey(t), kid, validClaims())
		}, now: epoch},
		{name: "unknown key id", token: func(t *testing.T) string { return issue(t, issuer(t, newKey(t), testIssuer, testAudience, epoch)) }, now: epoch},
		{name: "alg none", token: func(t *testing.T) string {
			return signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, validClaims())
		}, now: epoch},
		{name: "HS256 keyed with the public key", token: func(t *testing.T) string {
			return signed(t, jwt.SigningMethodHS256, []byte(pub), kid, validClaims())
		}, now: epoch},
		{name: "tampered payload", token: func(t *testing.T) string {
			parts := strings.Split(issue(t, good), ".")
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"sub":"u-1"`, `"sub":"u-2"`, 1)))
			return strings.Join(parts, ".")
		}, now: epoch},
		{name: "no expiry", token: func(t *testing.T) string {
			c := validClaims()
			c.ExpiresAt = nil
			return signed(t, jwt.SigningMethodEdDSA, key, kid, c)
		}, now: epoch},
		{name: "no subject", token: func(t *testing.T) string {
			c := validClaims()
			c.Subject = ""
			return signed(t, jwt.SigningMethodEdDSA, key, kid, c)
		}, now: epoch},
		{name: "garbage", token: func(*testing.T) string { return "not.a.jwt" }, now: epoch},
		{name: "empty", token: func(*testing.T) string { return "" }, now: epoch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := verifier(t, tt.now, pub).Verify(tt.token(t))
			if !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", p, err)
			}
		})
	}
}

func validClaims() jwtauth.Claims {
	return jwtauth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    testIssuer,
			Subject:   "u-1",
			Audience:  jwt.ClaimStrings{testAudience},
			ExpiresAt: jwt.NewNumericDate(epoch.Add(time.Minute)),
			NotBefore: jwt.NewNumericDate(epoch),
			IssuedAt:  jwt.NewNumericDate(epoch),
		},
	}
}

func signed(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwtauth.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewIssuerAndVerifierValidate(t *testing.T) {
	t.Parallel()
	if _, err := jwtauth.NewIssuer(ed25519.PrivateKey("short"), jwtauth.IssuerOptions{Issuer: "a", Audience: "b", TTL: time.Minute}); err == nil {
		t.Error("NewIssuer accepted a malformed key")
	}
	if _, err := jwtauth.NewIssuer(newKey(t), jwtauth.IssuerOptions{Issuer: "a", Audience: "b"}); err == nil {
		t.Error("NewIssuer accepted a zero TTL")
	}
	if _, err := jwtauth.NewVerifier(nil, jwtauth.VerifierOptions{Issuer: "a", Audience: "b"}); err == nil {
		t.Error("NewVerifier accepted no key")
	}
	if _, err := jwtauth.NewVerifier([]ed25519.PublicKey{publicOf(newKey(t))}, jwtauth.VerifierOptions{Issuer: "a"}); err == nil {
		t.Error("NewVerifier accepted no audience")
	}
}
