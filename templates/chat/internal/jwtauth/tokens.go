package jwtauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Leeway is the clock skew tolerated between the issuer and a verifier.
const Leeway = 30 * time.Second

// ErrInvalidToken is wrapped by every verification failure: callers answer Unauthenticated
// without telling the caller which check failed.
var ErrInvalidToken = errors.New("invalid access token")

// Claims are the access token's claims.
type Claims struct {
	jwt.RegisteredClaims
	// Username travels in the token so that services can show it without asking auth.
	Username string `json:"name"`
}

// Principal is who a verified token speaks for.
type Principal struct {
	UserID   string
	Username string
}

// Issuer signs access tokens.
type Issuer struct {
	key      ed25519.PrivateKey
	kid      string
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
}

// IssuerOptions configure an Issuer.
type IssuerOptions struct {
	Issuer   string
	Audience string
	TTL      time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewIssuer returns an Issuer signing with key.
func NewIssuer(key ed25519.PrivateKey, opts IssuerOptions) (*Issuer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("jwtauth: issuer: not an Ed25519 private key")
	}
	if opts.Issuer == "" || opts.Audience == "" || opts.TTL <= 0 {
		return nil, errors.New("jwtauth: issuer: issuer, audience and a positive TTL are required")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	pub, _ := key.Public().(ed25519.PublicKey)
	return &Issuer{key: key, kid: KeyID(pub), issuer: opts.Issuer, audience: opts.Audience, ttl: opts.TTL, now: now}, nil
}

// Issue returns a signed access token for the user and when it expires.
func (i *Issuer) Issue(p Principal) (string, time.Time, error) {
	now := i.now().Truncate(time.Second)
	exp := now.Add(i.ttl)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   p.UserID,
			Audience:  jwt.ClaimStrings{i.audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        rand.Text(),
		},
		Username: p.Username,
	}
	token := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	token.Header["kid"] = i.kid
	signed, err := token.SignedString(i.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("jwtauth: sign: %w", err)
	}
	return signed, exp, nil
}

// Verifier checks access tokens with public keys only.
type Verifier struct {
	keys   map[string]ed25519.PublicKey
	parser *jwt.Parser
}

// VerifierOptions configure a Verifier: the issuer and audience a token must name.
type VerifierOptions struct {
	Issuer   string
	Audience string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewVerifier returns a Verifier accepting tokens signed by any of keys.
func NewVerifier(keys []ed25519.PublicKey, opts VerifierOptions) (*Verifier, error) {
	if len(keys) == 0 {
		return nil, errors.New("jwtauth: verifier: no public key")
	}
	if opts.Issuer == "" || opts.Audience == "" {
		return nil, errors.New("jwtauth: verifier: issuer and audience are required")
	}
	byID := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return nil, errors.New("jwtauth: verifier: not an Ed25519 public key")
		}
		byID[KeyID(k)] = k
	}
	parserOpts := []jwt.ParserOption{
		// Only EdDSA: this rules out "none" and the HS256-with-the-public-key confusion.
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(opts.Issuer),
		jwt.WithAudience(opts.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
	}
	if opts.Now != nil {
		parserOpts = append(parserOpts, jwt.WithTimeFunc(opts.Now))
	}
	return &Verifier{keys: byID, parser: jwt.NewParser(parserOpts...)}, nil
}

// Verify checks the token's signature and claims and returns who it speaks for. Every failure
// wraps ErrInvalidToken.
func (v *Verifier) Verify(token string) (Principal, error) {
	var claims Claims
	_, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := v.keys[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return key, nil
	})
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" {
		return Principal{}, fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	return Principal{UserID: claims.Subject, Username: claims.Username}, nil
}
