package accounts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/accounts/accountstest"
	"example.com/gopher-template/ecommerce/internal/password"
	"example.com/gopher-template/ecommerce/internal/token"
)

var cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// countingHasher is a real hasher that counts the hashes and checks it was asked for.
type countingHasher struct {
	*password.Hasher
	mu             sync.Mutex
	hashes, checks int
	busy           bool
}

func (h *countingHasher) Hash(ctx context.Context, pw string) (string, error) {
	h.mu.Lock()
	h.hashes++
	h.mu.Unlock()
	return h.Hasher.Hash(ctx, pw)
}

func (h *countingHasher) Verify(ctx context.Context, pw, hash string) error {
	h.mu.Lock()
	h.checks++
	busy := h.busy
	h.mu.Unlock()
	if busy {
		return password.ErrBusy
	}
	return h.Hasher.Verify(ctx, pw, hash)
}

func (h *countingHasher) counts() (hashes, checks int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hashes, h.checks
}

type fixture struct {
	svc    *accounts.Service
	repo   *accountstest.Memory
	hasher *countingHasher
	tokens *token.Manager
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	inner, err := password.NewHasher(password.HasherOptions{Params: cheap})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := token.New(token.Options{Secret: []byte("0123456789abcdef0123456789abcdef"), Issuer: "shop", Audience: "shop-api", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	h := &countingHasher{Hasher: inner}
	repo := accountstest.NewMemory()
	svc, err := accounts.NewService(t.Context(), accounts.Options{Repo: repo, Hasher: h, Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, repo: repo, hasher: h, tokens: tokens}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, err := f.svc.Register(t.Context(), accounts.Registration{Email: " Ada@Example.COM ", Name: " Ada ", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != "ada@example.com" || c.Name != "Ada" || c.Role != accounts.RoleCustomer || c.ID == uuid.Nil {
		t.Errorf("registered %+v", c)
	}
	if !strings.HasPrefix(c.PasswordHash, "$argon2id$") || strings.Contains(c.PasswordHash, "correct horse") {
		t.Errorf("stored hash %q", c.PasswordHash)
	}
	if _, err := f.svc.Register(t.Context(), accounts.Registration{Email: "ADA@example.com", Name: "Other", Password: "correct horse"}); !errors.Is(err, accounts.ErrEmailTaken) {
		t.Errorf("second registration of the email: %v, want ErrEmailTaken", err)
	}
}

func TestRegisterValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reg   accounts.Registration
		field string
	}{
		{"no email", accounts.Registration{Email: "", Name: "A", Password: "correct horse"}, "email"},
		{"not an email", accounts.Registration{Email: "ada", Name: "A", Password: "correct horse"}, "email"},
		{"a display name", accounts.Registration{Email: "Ada <ada@example.com>", Name: "A", Password: "correct horse"}, "email"},
		{"long email", accounts.Registration{Email: strings.Repeat("a", 250) + "@x.io", Name: "A", Password: "correct horse"}, "email"},
		{"blank name", accounts.Registration{Email: "a@example.com", Name: "  ", Password: "correct horse"}, "name"},
		{"short password", accounts.Registration{Email: "a@example.com", Name: "A", Password: "seven77"}, "password"},
		{"long password", accounts.Registration{Email: "a@example.com", Name: "A", Password: strings.Repeat("p", 129)}, "password"},
		// Text PostgreSQL cannot store is the client's mistake, not the server's.
		{"NUL in the name", accounts.Registration{Email: "a@example.com", Name: "A\x00", Password: "correct horse"}, "name"},
		{"invalid UTF-8 in the name", accounts.Registration{Email: "a@example.com", Name: "Andr\xe9", Password: "correct horse"}, "name"},
		{"NUL in the email", accounts.Registration{Email: "a@example.com\x00", Name: "A", Password: "correct horse"}, "email"},
		{"invalid UTF-8 in the email", accounts.Registration{Email: "a\xff@example.com", Name: "A", Password: "correct horse"}, "email"},
		{"invalid UTF-8 in the email's upper case", accounts.Registration{Email: "A\xffB@example.com", Name: "A", Password: "correct horse"}, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, err := f.svc.Register(t.Context(), tt.reg)
			fe, ok := errors.AsType[*accounts.FieldError](err)
			if !ok || fe.Field != tt.field {
				t.Errorf("Register = %v, want a FieldError on %s", err, tt.field)
			}
			if hashes, _ := f.hasher.counts(); hashes != 1 { // the dummy hash of NewService only
				t.Errorf("%d hashes: a refused registration must not hash", hashes-1)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, email, password string
		wantErr               error
		wantChecks            int
	}{
		{"right", "ada@example.com", "correct horse", nil, 1},
		{"email in other case, spaces", "  ADA@example.com", "correct horse", nil, 1},
		{"wrong password", "ada@example.com", "wrong horse", accounts.ErrInvalidCredentials, 1},
		// An unknown email costs a check as well: timing tells no one which emails exist.
		{"unknown email", "bob@example.com", "correct horse", accounts.ErrInvalidCredentials, 1},
		{"over-long password", "ada@example.com", strings.Repeat("x", 129), accounts.ErrInvalidCredentials, 0},
		{"over-long password, unknown email", "bob@example.com", strings.Repeat("x", 1<<20), accounts.ErrInvalidCredentials, 0},
		// No account can have an email PostgreSQL cannot store: wrong credentials, found out
		// without a lookup or a check (which tells no one anything about the accounts there are).
		{"NUL in the email", "ada@example.com\x00", "correct horse", accounts.ErrInvalidCredentials, 0},
		{"only NUL in the email", "\x00", "correct horse", accounts.ErrInvalidCredentials, 0},
		{"invalid UTF-8 in the email", "ad\xe1@example.com", "correct horse", accounts.ErrInvalidCredentials, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			c, err := f.svc.Register(t.Context(), accounts.Registration{Email: "ada@example.com", Name: "Ada", Password: "correct horse"})
			if err != nil {
				t.Fatal(err)
			}
			session, err := f.svc.Login(t.Context(), tt.email, tt.password)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Login = %v, want %v", err, tt.wantErr)
			}
			if _, checks := f.hasher.counts(); checks != tt.wantChecks {
				t.Errorf("%d password checks, want %d", checks, tt.wantChecks)
			}
			if err != nil {
				return
			}
			p, err := f.tokens.Parse(session.AccessToken)
			if err != nil || p.Subject != c.ID || p.Role != "customer" || session.Customer.ID != c.ID {
				t.Errorf("session %+v, token %+v, %v", session, p, err)
			}
		})
	}
}

func TestLoginBusy(t *testing.T) {
	t.Parallel()
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		f := newFixture(t)
		if _, err := f.svc.Register(t.Context(), accounts.Registration{Email: "ada@example.com", Name: "Ada", Password: "correct horse"}); err != nil {
			t.Fatal(err)
		}
		f.hasher.mu.Lock()
		f.hasher.busy = true
		f.hasher.mu.Unlock()
		if _, err := f.svc.Login(t.Context(), email, "correct horse"); !errors.Is(err, accounts.ErrBusy) {
			t.Errorf("%s: Login = %v, want ErrBusy", email, err)
		}
	}
}

func TestPromote(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.svc.Register(t.Context(), accounts.Registration{Email: "ada@example.com", Name: "Ada", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Promote(t.Context(), "ADA@example.com"); err != nil {
		t.Fatal(err)
	}
	session, err := f.svc.Login(t.Context(), "ada@example.com", "correct horse")
	if err != nil || session.Customer.Role != accounts.RoleAdmin {
		t.Errorf("after Promote: %+v, %v", session.Customer, err)
	}
	if p, err := f.tokens.Parse(session.AccessToken); err != nil || p.Role != "admin" {
		t.Errorf("token %+v, %v: want the admin role", p, err)
	}
	for _, email := range []string{"bob@example.com", "ada@example.com\x00", "ad\xe1@example.com"} {
		if err := f.svc.Promote(t.Context(), email); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("Promote(%q) = %v, want ErrNotFound", email, err)
		}
	}
}

func TestNewServiceRequires(t *testing.T) {
	t.Parallel()
	if _, err := accounts.NewService(t.Context(), accounts.Options{}); err == nil {
		t.Error("NewService accepted nothing")
	}
}
