// Package auth is the auth service's domain: accounts with argon2id passwords, short-lived
// access tokens, and opaque refresh tokens that rotate on every use. A refresh token presented a
// second time means it leaked (or the client is broken): the whole family it belongs to is
// revoked, so whoever holds the newer token is logged out too (OAuth 2.0 Security BCP, 4.14).
// Transport (gRPC) and storage (PostgreSQL) plug in from outside.
package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"example.com/gopher-template/chat/internal/jwtauth"
)

// User is an account.
type User struct {
	ID           string
	Username     string
	PasswordHash string
	CreatedAt    time.Time
}

// RefreshToken is a stored refresh token. Only the hash of the token is kept: a copy of the
// table does not let anyone log in.
type RefreshToken struct {
	ID        string
	FamilyID  string
	UserID    string
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is set when the token was traded for a new pair.
	UsedAt time.Time
	// RevokedAt is set when its family was revoked (logout, reuse).
	RevokedAt time.Time
}

// Store keeps users and refresh tokens.
type Store interface {
	// CreateUser stores u; ErrUsernameTaken if the name is in use.
	CreateUser(ctx context.Context, u User) error
	// UserByUsername and UserByID return ErrNotFound when there is no such user.
	UserByUsername(ctx context.Context, username string) (User, error)
	UserByID(ctx context.Context, id string) (User, error)
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// UseRefreshToken finds the token by hash and marks it used at now, atomically: of two
	// concurrent calls with one token, one sees it unused and the other sees it used. It returns
	// the token as it was before the call; ErrNotFound if there is none.
	UseRefreshToken(ctx context.Context, hash []byte, now time.Time) (RefreshToken, error)
	// RotateRefreshToken trades the token with the hash for its successor next, in one atomic
	// step: it marks the token used at now as UseRefreshToken does and, if the token was
	// Usable at now, stores next in the token's family, for its user (whatever next's FamilyID
	// and UserID). It returns the token as it was before the call; ErrNotFound if there is none.
	// A RevokeFamily of the token's family at the same time either revokes next as well, or runs
	// first, and then the token is revoked and next is not stored.
	RotateRefreshToken(ctx context.Context, hash []byte, now time.Time, next RefreshToken) (RefreshToken, error)
	// RevokeFamily revokes every token of the family that is not revoked yet.
	RevokeFamily(ctx context.Context, familyID string, now time.Time) error
}

// Usable reports whether the token may be traded for a new pair at now: never used, not
// revoked, not expired.
func (t RefreshToken) Usable(now time.Time) bool {
	return t.UsedAt.IsZero() && t.RevokedAt.IsZero() && now.Before(t.ExpiresAt)
}

// TokenIssuer signs access tokens.
type TokenIssuer interface {
	Issue(p jwtauth.Principal) (token string, expiresAt time.Time, err error)
}

// Recorder counts what happens, for metrics.
type Recorder interface {
	// AuthEvent records one event: "register", "login", "login_failed", "refresh",
	// "refresh_failed", "refresh_reused" or "logout".
	AuthEvent(event string)
}

var (
	// ErrNotFound is a Store's answer for a missing user or token.
	ErrNotFound = errors.New("not found")
	// ErrUsernameTaken means the username belongs to another account.
	ErrUsernameTaken = errors.New("username taken")
	// ErrInvalidCredentials means the username or the password is wrong; which one is not said.
	ErrInvalidCredentials = errors.New("invalid username or password")
	// ErrInvalidRefreshToken means the refresh token is unknown, expired, revoked or reused.
	ErrInvalidRefreshToken = errors.New("invalid refresh token")
	// ErrBusy means too many password checks were running for this one to start before its
	// context ended: the caller may try again later.
	ErrBusy = errors.New("too many password checks at once, try again later")
	// ErrRefreshTokenReused wraps ErrInvalidRefreshToken: the token had been used already and
	// its family is now revoked.
	ErrRefreshTokenReused = fmt.Errorf("%w: reused, its family is revoked", ErrInvalidRefreshToken)
)

// ValidationError is a request field that breaks a rule.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// Tokens are what a login or a refresh returns.
type Tokens struct {
	Access           string
	AccessExpiresAt  time.Time
	Refresh          string
	RefreshExpiresAt time.Time
}

// Rules for accounts.
const (
	MinUsernameLength = 3
	MaxUsernameLength = 32
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

func validateUsername(name string) error {
	if len(name) < MinUsernameLength || len(name) > MaxUsernameLength {
		return &ValidationError{Field: "username", Reason: fmt.Sprintf("must be %d to %d characters", MinUsernameLength, MaxUsernameLength)}
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '.' && r != '_' && r != '-' {
			return &ValidationError{Field: "username", Reason: "may hold only a-z, 0-9, '.', '_' and '-'"}
		}
	}
	return nil
}

func validatePassword(pw string) error {
	if n := utf8.RuneCountInString(pw); n < MinPasswordLength || n > MaxPasswordLength {
		return &ValidationError{Field: "password", Reason: fmt.Sprintf("must be %d to %d characters", MinPasswordLength, MaxPasswordLength)}
	}
	return nil
}
