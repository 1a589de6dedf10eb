// Package token issues and parses the API's access tokens: JWTs signed with HS256 under a
// shared secret, naming the customer (sub) and their role. The parser pins the algorithm (no
// "none", no algorithm confusion), the issuer and the audience, requires exp and iat, and
// tolerates a small clock skew.
package token

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// MinSecretLength is the shortest secret accepted: 256 bits, as long as HS256's output
// (RFC 7518, 3.2).
const MinSecretLength = 32

// DefaultLeeway is the clock skew tolerated when Options.Leeway is 0.
const DefaultLeeway = 30 * time.Second

// ErrInvalid is wrapped by every parse failure: the caller answers 401 without saying which
// check failed.
var ErrInvalid = errors.New("invalid access token")

// Options configure a Manager.
type Options struct {
	// Secret signs and verifies tokens; at least MinSecretLength bytes.
	Secret []byte
	// Issuer and Audience are written into every token and required of every parsed one.
	Issuer   string
	Audience string
	// TTL is how long an issued token is valid.
	TTL time.Duration
	// Leeway is the clock skew tolerated on exp and iat; 0 means DefaultLeeway.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Claims are an access token's claims.
type Claims struct {
	jwt.RegisteredClaims
	// Role is the customer's role when the token was issued.
	Role string `json:"role"`
}

// Principal is who a valid token speaks for.
type Principal struct {
	Subject uuid.UUID
	Role    string
	// ID is the token's jti.
	ID        string
	ExpiresAt time.Time
}

// Manager issues and parses tokens.
type Manager struct {
	secret   []byte
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	parser   *jwt.Parser
}

// New returns a Manager.
func New(opts Options) (*Manager, error) {
	if len(opts.Secret) < MinSecretLength {
		return nil, fmt.Errorf("token: the secret must be at least %d bytes", MinSecretLength)
	}
	if opts.Issuer == "" || opts.Audience == "" {
		return nil, errors.New("token: issuer and audience are required")
	}
	if opts.TTL <= 0 || opts.Leeway < 0 {
		return nil, errors.New("token: TTL must be positive and Leeway not negative")
	}
	if opts.Leeway == 0 {
		opts.Leeway = DefaultLeeway
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(opts.Issuer),
		jwt.WithAudience(opts.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(opts.Leeway),
		jwt.WithTimeFunc(opts.Now),
	)
	secret := append([]byte(nil), opts.Secret...)
	return &Manager{secret: secret, issuer: opts.Issuer, audience: opts.Audience, ttl: opts.TTL, now: opts.Now, parser: parser}, nil
}

// Issue returns a signed token for the customer and when it expires.
func (m *Manager) Issue(subject uuid.UUID, role string) (string, time.Time, error) {
	if subject == uuid.Nil || role == "" {
		return "", time.Time{}, errors.New("token: a subject and a role are required")
	}
	now := m.now().Truncate(time.Second)
	exp := now.Add(m.ttl)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    m.issuer,
			Subject:   subject.String(),
			Audience:  jwt.ClaimStrings{m.audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        rand.Text(),
		},
		Role: role,
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(m.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token: sign: %w", err)
	}
	return signed, exp, nil
}

// Parse checks the token's signature and claims and returns who it speaks for. Every failure
// wraps ErrInvalid.
func (m *Manager) Parse(token string) (Principal, error) {
	var claims Claims
	if _, err := m.parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return m.secret, nil }); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	sub, err := uuid.Parse(claims.Subject)
	if err != nil || sub == uuid.Nil {
		return Principal{}, fmt.Errorf("%w: the subject is not a customer ID", ErrInvalid)
	}
	if claims.Role == "" {
		return Principal{}, fmt.Errorf("%w: no role", ErrInvalid)
	}
	return Principal{Subject: sub, Role: claims.Role, ID: claims.ID, ExpiresAt: claims.ExpiresAt.Time}, nil
}
