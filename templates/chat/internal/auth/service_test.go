package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"example.com/gopher-template/chat/internal/auth"
	"example.com/gopher-template/chat/internal/auth/authtest"
	"example.com/gopher-template/chat/internal/jwtauth"
	"example.com/gopher-template/chat/internal/password"
)

var cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func TestMemoryStoreContract(t *testing.T) {
	t.Parallel()
	authtest.StoreContract(t, func(*testing.T) auth.Store { return authtest.NewMemoryStore() })
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type events struct {
	mu   sync.Mutex
	seen []string
}

func (e *events) AuthEvent(name string) { e.mu.Lock(); e.seen = append(e.seen, name); e.mu.Unlock() }
func (e *events) last() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seen) == 0 {
		return ""
	}
	return e.seen[len(e.seen)-1]
}

type fixture struct {
	svc      *auth.Service
	verifier *jwtauth.Verifier
	clock    *clock
	events   *events
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Now().UTC().Truncate(time.Second)}
	iss, err := jwtauth.NewIssuer(priv, jwtauth.IssuerOptions{Issuer: "auth", Audience: "chat", TTL: time.Minute, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := jwtauth.NewVerifier([]ed25519.PublicKey{pub}, jwtauth.VerifierOptions{Issuer: "auth", Audience: "chat", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	svc, err := auth.NewService(auth.Options{Store: authtest.NewMemoryStore(), Issuer: iss, Password: cheap, RefreshTTL: time.Hour, Recorder: ev, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, verifier: ver, clock: c, events: ev}
}

func (f fixture) login(t *testing.T) (string, auth.Tokens) {
	t.Helper()
	id, err := f.svc.Register(t.Context(), "ada", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := f.svc.Login(t.Context(), "ada", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	return id, tokens
}

func TestRegisterValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, username, password, field string
	}{
		{"short username", "ab", "long enough", "username"},
		{"long username", "abcdefghijklmnopqrstuvwxyz0123456", "long enough", "username"},
		{"upper case", "Ada", "long enough", "username"},
		{"space", "ada lovelace", "long enough", "username"},
		{"short password", "ada", "short", "password"},
		{"long password", "ada", string(make([]rune, 129)), "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, err := f.svc.Register(t.Context(), tt.username, tt.password)
			var ve *auth.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("Register(%q, %q) = %v, want a ValidationError on %s", tt.username, tt.password, err, tt.field)
			}
		})
	}
}

func TestRegisterTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.svc.Register(t.Context(), "ada", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Register(t.Context(), "ada", "another horse"); !errors.Is(err, auth.ErrUsernameTaken) {
		t.Errorf("second Register = %v, want ErrUsernameTaken", err)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id, tokens := f.login(t)
	p, err := f.verifier.Verify(tokens.Access)
	if err != nil {
		t.Fatalf("access token does not verify: %v", err)
	}
	if p.UserID != id || p.Username != "ada" {
		t.Errorf("principal = %+v, want %s/ada", p, id)
	}
	if tokens.Refresh == "" || !tokens.RefreshExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("refresh token %q expiring %v", tokens.Refresh, tokens.RefreshExpiresAt)
	}
	for _, c := range []struct{ user, pw string }{{"ada", "wrong horse"}, {"bob", "correct horse"}} {
		if _, err := f.svc.Login(t.Context(), c.user, c.pw); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("Login(%s, %s) = %v, want ErrInvalidCredentials", c.user, c.pw, err)
		}
		if f.events.last() != "login_failed" {
			t.Errorf("last event = %q, want login_failed", f.events.last())
		}
	}
}

func TestRefreshRotates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, first := f.login(t)
	second, err := f.svc.Refresh(t.Context(), first.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	if second.Refresh == first.Refresh {
		t.Fatal("Refresh returned the same refresh token")
	}
	if _, err := f.verifier.Verify(second.Access); err != nil {
		t.Errorf("refreshed access token: %v", err)
	}
	third, err := f.svc.Refresh(t.Context(), second.Refresh)
	if err != nil {
		t.Fatalf("the rotated token does not refresh: %v", err)
	}
	if third.Refresh == "" {
		t.Fatal("no third token")
	}
}

func TestRefreshReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, first := f.login(t)
	second, err := f.svc.Refresh(t.Context(), first.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	// Another login is another family, and survives.
	otherFamily, err := f.svc.Login(t.Context(), "ada", "correct horse")
	if err != nil {
		t.Fatal(err)
	}

	// The first token again: someone kept a copy.
	if _, err := f.svc.Refresh(t.Context(), first.Refresh); !errors.Is(err, auth.ErrRefreshTokenReused) {
		t.Fatalf("reusing a token = %v, want ErrRefreshTokenReused", err)
	}
	if f.events.last() != "refresh_reused" {
		t.Errorf("last event = %q, want refresh_reused", f.events.last())
	}
	// The legitimate holder's newer token is revoked with its family.
	if _, err := f.svc.Refresh(t.Context(), second.Refresh); !errors.Is(err, auth.ErrInvalidRefreshToken) {
		t.Errorf("newer token of the reused family = %v, want ErrInvalidRefreshToken", err)
	}
	if _, err := f.svc.Refresh(t.Context(), otherFamily.Refresh); err != nil {
		t.Errorf("token of another family = %v, want it still valid", err)
	}
}

func TestRefreshRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tokens := f.login(t)
	for _, tok := range []string{"", "not base64!", "c2hvcnQ", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := f.svc.Refresh(t.Context(), tok); !errors.Is(err, auth.ErrInvalidRefreshToken) {
			t.Errorf("Refresh(%q) = %v, want ErrInvalidRefreshToken", tok, err)
		}
	}
	f.clock.Advance(time.Hour)
	if _, err := f.svc.Refresh(t.Context(), tokens.Refresh); !errors.Is(err, auth.ErrInvalidRefreshToken) || errors.Is(err, auth.ErrRefreshTokenReused) {
		t.Errorf("expired token = %v, want ErrInvalidRefreshToken (not reuse)", err)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tokens := f.login(t)
	if err := f.svc.Logout(t.Context(), tokens.Refresh); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Refresh(t.Context(), tokens.Refresh); !errors.Is(err, auth.ErrInvalidRefreshToken) {
		t.Errorf("Refresh after Logout = %v, want ErrInvalidRefreshToken", err)
	}
	if err := f.svc.Logout(t.Context(), tokens.Refresh); err != nil {
		t.Errorf("second Logout = %v, want nil", err)
	}
	if err := f.svc.Logout(t.Context(), "garbage"); err != nil {
		t.Errorf("Logout(garbage) = %v, want nil", err)
	}
}

// A thief reuses an old refresh token while the legitimate client refreshes with the newest:
// whichever wins, the family ends revoked, and no token it holds refreshes afterwards.
func TestReuseRacingRefreshLeavesNoLiveToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, first := f.login(t)
	for round := range 100 {
		second, err := f.svc.Refresh(t.Context(), first.Refresh)
		if err != nil {
			t.Fatal(err)
		}
		var legit auth.Tokens
		var legitErr, reuseErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; legit, legitErr = f.svc.Refresh(t.Context(), second.Refresh) })
		wg.Go(func() { <-start; _, reuseErr = f.svc.Refresh(t.Context(), first.Refresh) })
		close(start)
		wg.Wait()
		if !errors.Is(reuseErr, auth.ErrRefreshTokenReused) {
			t.Fatalf("round %d: the reuse = %v, want ErrRefreshTokenReused", round, reuseErr)
		}
		if legitErr == nil {
			if _, err := f.svc.Refresh(t.Context(), legit.Refresh); !errors.Is(err, auth.ErrInvalidRefreshToken) {
				t.Fatalf("round %d: the token rotated in while the family was revoked refreshes: %v", round, err)
			}
		}
		// The next round's family.
		if first, err = f.svc.Login(t.Context(), "ada", "correct horse"); err != nil {
			t.Fatal(err)
		}
	}
}
