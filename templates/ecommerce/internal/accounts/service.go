package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/password"
)

// Rules for accounts. Field names in errors are those of the HTTP API.
const (
	MaxEmailLength    = 254
	MaxNameLength     = 200
	MinPasswordLength = 8
	// MaxPasswordLength is password.MaxLength: a longer password is refused before any hashing.
	MaxPasswordLength = password.MaxLength
)

var (
	// ErrInvalidCredentials means the email or the password is wrong; which one is not said.
	ErrInvalidCredentials = errors.New("invalid email or password")
	// ErrBusy means too many password checks were running for this one to start in time: the
	// caller may retry later (HTTP 429).
	ErrBusy = password.ErrBusy
)

// FieldError is a field of a request that breaks a rule; Field is its JSON name in the API.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Invalid returns the field and the rule it breaks.
func (e *FieldError) Invalid() (field, reason string) { return e.Field, e.Reason }

// Hasher hashes and checks passwords within a bound of concurrent hashes (*password.Hasher).
type Hasher interface {
	Hash(ctx context.Context, pw string) (string, error)
	Verify(ctx context.Context, pw, hash string) error
}

// TokenIssuer signs access tokens (*token.Manager).
type TokenIssuer interface {
	Issue(subject uuid.UUID, role string) (token string, expiresAt time.Time, err error)
}

// Options configure a Service.
type Options struct {
	Repo   Repository
	Hasher Hasher
	Tokens TokenIssuer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service registers customers and signs them in.
type Service struct {
	repo   Repository
	hasher Hasher
	tokens TokenIssuer
	now    func() time.Time
	// dummyHash is verified against when the email is unknown, so that a login takes as long
	// whether or not the account exists: the timing tells no one which emails have accounts.
	dummyHash string
}

// NewService returns a Service. It hashes one random password (the dummy hash of unknown
// emails), so it takes as long as one hash.
func NewService(ctx context.Context, opts Options) (*Service, error) {
	if opts.Repo == nil || opts.Hasher == nil || opts.Tokens == nil {
		return nil, errors.New("accounts: a repository, a hasher and a token issuer are required")
	}
	dummy, err := opts.Hasher.Hash(ctx, rand.Text())
	if err != nil {
		return nil, fmt.Errorf("accounts: dummy hash: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{repo: opts.Repo, hasher: opts.Hasher, tokens: opts.Tokens, now: opts.Now, dummyHash: dummy}, nil
}

// Registration is what a new customer gives.
type Registration struct {
	Email    string
	Name     string
	Password string
}

// Register validates r, hashes the password and stores a customer account: a *FieldError
// (joined), ErrEmailTaken, ErrBusy, or the repository's error.
func (s *Service) Register(ctx context.Context, r Registration) (Customer, error) {
	email := NormalizeEmail(r.Email)
	name := strings.TrimSpace(r.Name)
	emailErr := validateEmail(email)
	if !isText(r.Email) { // checked before NormalizeEmail, which makes invalid UTF-8 valid
		emailErr = &FieldError{"email", notText}
	}
	if err := errors.Join(emailErr, validateName(name), validatePassword(r.Password)); err != nil {
		return Customer{}, err
	}
	hash, err := s.hasher.Hash(ctx, r.Password)
	if err != nil {
		return Customer{}, fmt.Errorf("accounts: register: %w", err)
	}
	c, err := s.repo.Create(ctx, Customer{Email: email, Name: name, Role: RoleCustomer, PasswordHash: hash, CreatedAt: s.now().UTC()})
	if err != nil {
		return Customer{}, fmt.Errorf("accounts: register: %w", err)
	}
	return c, nil
}

// Session is a signed-in customer's access token.
type Session struct {
	AccessToken string
	ExpiresAt   time.Time
	Customer    Customer
}

// Login checks the password and returns an access token: ErrInvalidCredentials for an unknown
// email, a wrong password or an over-long one, ErrBusy, or another error. An unknown email
// costs one hash, as a known one does. An over-long password and an email that is not text
// (a NUL character or invalid UTF-8: no account can have it, and the store could not look it
// up) are ErrInvalidCredentials at once, without a lookup or a hash: that tells nothing about
// which accounts exist.
func (s *Service) Login(ctx context.Context, email, pw string) (Session, error) {
	if utf8.RuneCountInString(pw) > MaxPasswordLength || !isText(email) {
		return Session{}, ErrInvalidCredentials
	}
	c, err := s.repo.ByEmail(ctx, NormalizeEmail(email))
	switch {
	case errors.Is(err, ErrNotFound):
		// As long as a real check; the result does not matter, unless there was no room for it.
		if err := s.hasher.Verify(ctx, pw, s.dummyHash); errors.Is(err, ErrBusy) {
			return Session{}, fmt.Errorf("accounts: login: %w", err)
		}
		return Session{}, ErrInvalidCredentials
	case err != nil:
		return Session{}, fmt.Errorf("accounts: login: %w", err)
	}
	switch err := s.hasher.Verify(ctx, pw, c.PasswordHash); {
	case errors.Is(err, password.ErrMismatch), errors.Is(err, password.ErrTooLong):
		return Session{}, ErrInvalidCredentials
	case err != nil:
		return Session{}, fmt.Errorf("accounts: login: %w", err)
	}
	tok, exp, err := s.tokens.Issue(c.ID, string(c.Role))
	if err != nil {
		return Session{}, fmt.Errorf("accounts: login: %w", err)
	}
	return Session{AccessToken: tok, ExpiresAt: exp, Customer: c}, nil
}

// Promote makes the customer with this email an admin (from the next login on): ErrNotFound if
// there is none (as for an email that is not text, which no account can have).
func (s *Service) Promote(ctx context.Context, email string) error {
	if !isText(email) {
		return fmt.Errorf("accounts: promote: %w", ErrNotFound)
	}
	if err := s.repo.SetRole(ctx, NormalizeEmail(email), RoleAdmin); err != nil {
		return fmt.Errorf("accounts: promote: %w", err)
	}
	return nil
}

// NormalizeEmail is the form emails are stored and looked up in: trimmed, lower case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// notText is the reason of a field that isText refuses.
const notText = "must be UTF-8 text without NUL characters"

// isText reports whether s is text the store can hold: valid UTF-8 without NUL characters
// (PostgreSQL refuses both in text columns and parameters).
func isText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func validateEmail(email string) error {
	if email == "" || len(email) > MaxEmailLength {
		return &FieldError{"email", fmt.Sprintf("must be 1 to %d characters", MaxEmailLength)}
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return &FieldError{"email", "must be an email address such as ada@example.com"}
	}
	return nil
}

func validateName(name string) error {
	if !isText(name) {
		return &FieldError{"name", notText}
	}
	if name == "" || utf8.RuneCountInString(name) > MaxNameLength {
		return &FieldError{"name", fmt.Sprintf("must be 1 to %d characters", MaxNameLength)}
	}
	return nil
}

func validatePassword(pw string) error {
	if n := utf8.RuneCountInString(pw); n < MinPasswordLength || n > MaxPasswordLength {
		return &FieldError{"password", fmt.Sprintf("must be %d to %d characters", MinPasswordLength, MaxPasswordLength)}
	}
	return nil
}
