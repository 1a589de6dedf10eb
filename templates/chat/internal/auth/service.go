package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"example.com/gopher-template/chat/internal/jwtauth"
	"example.com/gopher-template/chat/internal/password"
)

// refreshTokenBytes is the entropy of a refresh token: 256 bits, so a plain SHA-256 of it is a
// safe stored form (no salt or slow hash needed, unlike a password).
const refreshTokenBytes = 32

// Options configure a Service.
type Options struct {
	Store    Store
	Issuer   TokenIssuer
	Password password.Params
	// RefreshTTL is how long a refresh token stays usable.
	RefreshTTL time.Duration
	// Recorder, if set, counts events.
	Recorder Recorder
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HashConcurrency bounds the password hashes (each Password.MemoryKiB of memory) computed at
	// once; 0 means DefaultHashConcurrency.
	HashConcurrency int
}

// DefaultHashConcurrency is the default bound of Options.HashConcurrency.
const DefaultHashConcurrency = 4

// Service registers users and hands out tokens.
type Service struct {
	store      Store
	issuer     TokenIssuer
	params     password.Params
	refreshTTL time.Duration
	rec        Recorder
	now        func() time.Time
	// dummyHash is verified against when the username is unknown, so that a login takes as long
	// whether or not the account exists: the timing tells no one which usernames are taken.
	dummyHash string
	// hashSlots holds a token per password hash running: each takes params.MemoryKiB, so an
	// unbounded number of logins at once would exhaust the memory.
	hashSlots chan struct{}
	// hash and verify are password.Hash and password.Verify (tests watch them).
	hash   func(pw string, p password.Params) (string, error)
	verify func(pw, hash string) error
}

// NewService returns a Service.
func NewService(opts Options) (*Service, error) {
	if opts.Store == nil || opts.Issuer == nil {
		return nil, errors.New("auth: a store and an issuer are required")
	}
	if opts.RefreshTTL <= 0 {
		return nil, errors.New("auth: RefreshTTL must be positive")
	}
	if opts.HashConcurrency < 0 {
		return nil, errors.New("auth: HashConcurrency must not be negative")
	}
	if opts.HashConcurrency == 0 {
		opts.HashConcurrency = DefaultHashConcurrency
	}
	dummy, err := password.Hash(rand.Text(), opts.Password)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	s := &Service{store: opts.Store, issuer: opts.Issuer, params: opts.Password, refreshTTL: opts.RefreshTTL,
		rec: opts.Recorder, now: opts.Now, dummyHash: dummy, hashSlots: make(chan struct{}, opts.HashConcurrency),
		hash: password.Hash, verify: password.Verify}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rec == nil {
		s.rec = nopRecorder{}
	}
	return s, nil
}

// Register creates an account and returns its ID. ErrBusy if too many passwords were being
// hashed for this one to start before ctx ended.
func (s *Service) Register(ctx context.Context, username, pw string) (string, error) {
	if err := errors.Join(validateUsername(username), validatePassword(pw)); err != nil {
		return "", err
	}
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return "", fmt.Errorf("auth: register: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("auth: register: %w", err)
	}
	u := User{ID: id.String(), Username: username, PasswordHash: hash, CreatedAt: s.now().UTC()}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return "", fmt.Errorf("auth: register: %w", err)
	}
	s.rec.AuthEvent("register")
	return u.ID, nil
}

// Login checks the password and starts a new token family. ErrBusy if too many passwords were
// being checked for this one to start before ctx ended.
func (s *Service) Login(ctx context.Context, username, pw string) (Tokens, error) {
	// No account has a longer password: refused before the costly hash, as a wrong one is.
	if utf8.RuneCountInString(pw) > MaxPasswordLength {
		s.rec.AuthEvent("login_failed")
		return Tokens{}, ErrInvalidCredentials
	}
	u, err := s.store.UserByUsername(ctx, username)
	switch {
	case errors.Is(err, ErrNotFound):
		// As long as a real check; the result does not matter, unless there was no room for it.
		if err := s.verifyPassword(ctx, pw, s.dummyHash); errors.Is(err, ErrBusy) {
			return Tokens{}, fmt.Errorf("auth: login: %w", err)
		}
		s.rec.AuthEvent("login_failed")
		return Tokens{}, ErrInvalidCredentials
	case err != nil:
		return Tokens{}, fmt.Errorf("auth: login: %w", err)
	}
	if err := s.verifyPassword(ctx, pw, u.PasswordHash); err != nil {
		if errors.Is(err, ErrBusy) {
			return Tokens{}, fmt.Errorf("auth: login: %w", err)
		}
		s.rec.AuthEvent("login_failed")
		if errors.Is(err, password.ErrMismatch) {
			return Tokens{}, ErrInvalidCredentials
		}
		return Tokens{}, fmt.Errorf("auth: login: %w", err)
	}
	family, err := uuid.NewV7()
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: login: %w", err)
	}
	tokens, err := s.issue(ctx, u, family.String())
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: login: %w", err)
	}
	s.rec.AuthEvent("login")
	return tokens, nil
}

// Refresh trades a refresh token for a new pair in the same family. A token used before
// revokes its family and fails with ErrRefreshTokenReused.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	hash, ok := hashRefreshToken(refreshToken)
	if !ok {
		s.rec.AuthEvent("refresh_failed")
		return Tokens{}, ErrInvalidRefreshToken
	}
	now := s.now().UTC()
	// The successor is stored in the same step as the old token's use: a reuse revoking the
	// family meanwhile revokes the successor too.
	refresh, next, err := s.newRefreshToken(now)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: refresh: %w", err)
	}
	old, err := s.store.RotateRefreshToken(ctx, hash, now, next)
	switch {
	case errors.Is(err, ErrNotFound):
		s.rec.AuthEvent("refresh_failed")
		return Tokens{}, ErrInvalidRefreshToken
	case err != nil:
		return Tokens{}, fmt.Errorf("auth: refresh: %w", err)
	}
	switch {
	case !old.RevokedAt.IsZero():
		s.rec.AuthEvent("refresh_failed")
		return Tokens{}, ErrInvalidRefreshToken
	case !old.UsedAt.IsZero():
		if err := s.store.RevokeFamily(ctx, old.FamilyID, now); err != nil {
			return Tokens{}, fmt.Errorf("auth: refresh: revoke a reused token's family: %w", err)
		}
		s.rec.AuthEvent("refresh_reused")
		return Tokens{}, ErrRefreshTokenReused
	case !old.Usable(now): // expired
		s.rec.AuthEvent("refresh_failed")
		return Tokens{}, ErrInvalidRefreshToken
	}
	u, err := s.store.UserByID(ctx, old.UserID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Tokens{}, ErrInvalidRefreshToken
		}
		return Tokens{}, fmt.Errorf("auth: refresh: %w", err)
	}
	access, accessExp, err := s.issuer.Issue(jwtauth.Principal{UserID: u.ID, Username: u.Username})
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: refresh: %w", err)
	}
	s.rec.AuthEvent("refresh")
	return Tokens{Access: access, AccessExpiresAt: accessExp, Refresh: refresh, RefreshExpiresAt: next.ExpiresAt}, nil
}

// Logout revokes the refresh token's family. An unknown token is not an error: logging out twice
// succeeds, and the answer tells nothing about which tokens exist.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	hash, ok := hashRefreshToken(refreshToken)
	if !ok {
		return nil
	}
	now := s.now().UTC()
	old, err := s.store.UseRefreshToken(ctx, hash, now)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("auth: logout: %w", err)
	}
	if err := s.store.RevokeFamily(ctx, old.FamilyID, now); err != nil {
		return fmt.Errorf("auth: logout: %w", err)
	}
	s.rec.AuthEvent("logout")
	return nil
}

// issue makes an access token and a new refresh token of family for u.
func (s *Service) issue(ctx context.Context, u User, family string) (Tokens, error) {
	access, accessExp, err := s.issuer.Issue(jwtauth.Principal{UserID: u.ID, Username: u.Username})
	if err != nil {
		return Tokens{}, err
	}
	refresh, t, err := s.newRefreshToken(s.now().UTC())
	if err != nil {
		return Tokens{}, err
	}
	t.FamilyID, t.UserID = family, u.ID
	if err := s.store.CreateRefreshToken(ctx, t); err != nil {
		return Tokens{}, err
	}
	return Tokens{Access: access, AccessExpiresAt: accessExp, Refresh: refresh, RefreshExpiresAt: t.ExpiresAt}, nil
}

// newRefreshToken returns a new refresh token and its stored form, without family or user.
func (s *Service) newRefreshToken(now time.Time) (string, RefreshToken, error) {
	raw := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", RefreshToken{}, fmt.Errorf("refresh token: %w", err)
	}
	refresh := base64.RawURLEncoding.EncodeToString(raw)
	hash, _ := hashRefreshToken(refresh)
	id, err := uuid.NewV7()
	if err != nil {
		return "", RefreshToken{}, fmt.Errorf("refresh token: %w", err)
	}
	return refresh, RefreshToken{ID: id.String(), Hash: hash, CreatedAt: now, ExpiresAt: now.Add(s.refreshTTL)}, nil
}

// hashPassword hashes pw once a hash slot is free.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return s.hash(pw, s.params)
}

// verifyPassword checks pw against hash once a hash slot is free.
func (s *Service) verifyPassword(ctx context.Context, pw, hash string) error {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return err
	}
	defer release()
	return s.verify(pw, hash)
}

// hashSlot waits for room for one more password hash, or for ctx to end (ErrBusy).
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.hashSlots <- struct{}{}:
		return func() { <-s.hashSlots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w (%w)", ErrBusy, context.Cause(ctx))
	}
}

// hashRefreshToken returns the stored form of a token, or false when it cannot be one of ours.
func hashRefreshToken(token string) ([]byte, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != refreshTokenBytes {
		return nil, false
	}
	sum := sha256.Sum256(raw)
	return sum[:], true
}

type nopRecorder struct{}

func (nopRecorder) AuthEvent(string) {}
