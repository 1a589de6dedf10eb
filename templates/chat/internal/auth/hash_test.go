package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/gopher-template/chat/internal/auth"
	"example.com/gopher-template/chat/internal/auth/authtest"
	"example.com/gopher-template/chat/internal/jwtauth"
	"example.com/gopher-template/chat/internal/password"
)

// pacedHashes stands in for argon2id: it counts the hashes, how many run at once, and holds
// each until releaseAll.
type pacedHashes struct {
	mu                   sync.Mutex
	calls, running, most int
	release              chan struct{}
	closeOnce            sync.Once
}

func (p *pacedHashes) hash(pw string, params password.Params) (string, error) {
	p.run()
	return password.Hash(pw, params)
}

func (p *pacedHashes) verify(pw, hash string) error {
	p.run()
	return password.Verify(pw, hash)
}

func (p *pacedHashes) run() {
	p.mu.Lock()
	p.calls++
	p.running++
	p.most = max(p.most, p.running)
	p.mu.Unlock()
	<-p.release
	p.mu.Lock()
	p.running--
	p.mu.Unlock()
}

func (p *pacedHashes) stats() (calls, running, most int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls, p.running, p.most
}

// newPacedService returns a service allowing limit hashes at once, with the account
// ada/"correct horse", whose hashes wait until the test calls releaseAll.
func newPacedService(t *testing.T, limit int) (*auth.Service, *pacedHashes, *events) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := jwtauth.NewIssuer(priv, jwtauth.IssuerOptions{Issuer: "auth", Audience: "chat", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	svc, err := auth.NewService(auth.Options{Store: authtest.NewMemoryStore(), Issuer: iss, Password: cheap,
		RefreshTTL: time.Hour, Recorder: ev, HashConcurrency: limit})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(t.Context(), "ada", "correct horse"); err != nil {
		t.Fatal(err)
	}
	p := &pacedHashes{release: make(chan struct{})}
	svc.SetPasswordFuncs(p.hash, p.verify)
	return svc, p, ev
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHashConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprintf("at most %d", limit), func(t *testing.T) {
			t.Parallel()
			svc, p, _ := newPacedService(t, limit)
			defer p.releaseAll()
			const callers = 8
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					var err error
					switch i % 3 {
					case 0:
						_, err = svc.Login(t.Context(), "ada", "correct horse")
					case 1: // unknown user: the dummy hash is a hash too
						_, err = svc.Login(t.Context(), "nobody", "correct horse")
						if errors.Is(err, auth.ErrInvalidCredentials) {
							err = nil
						}
					case 2:
						_, err = svc.Register(t.Context(), "user"+strings.Repeat("x", i), "correct horse")
					}
					if err != nil {
						t.Error(err)
					}
				})
			}
			waitUntil(t, func() bool { _, running, _ := p.stats(); return running >= limit })
			time.Sleep(100 * time.Millisecond) // room for any caller that would exceed the bound
			if _, _, most := p.stats(); most != limit {
				t.Errorf("%d hashes ran at once, want at most %d", most, limit)
			}
			p.releaseAll()
			wg.Wait()
			if calls, _, most := p.stats(); calls != callers || most != limit {
				t.Errorf("%d hashes, at most %d at once; want %d, at most %d", calls, most, callers, limit)
			}
		})
	}
}

func TestWaitingForAHashEndsWithTheContext(t *testing.T) {
	t.Parallel()
	svc, p, _ := newPacedService(t, 1)
	first := make(chan error, 1)
	go func() {
		_, err := svc.Login(t.Context(), "ada", "correct horse")
		first <- err
	}()
	waitUntil(t, func() bool { _, running, _ := p.stats(); return running == 1 })

	expired, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	canceled, cancelNow := context.WithCancel(t.Context())
	cancelNow()
	tests := []struct {
		name string
		call func() error
	}{
		{"login, deadline passes", func() error { _, err := svc.Login(expired, "ada", "correct horse"); return err }},
		{"login of an unknown user, canceled", func() error { _, err := svc.Login(canceled, "nobody", "correct horse"); return err }},
		{"register, canceled", func() error { _, err := svc.Register(canceled, "bob", "correct horse"); return err }},
	}
	defer p.releaseAll() // unblocks whatever a failing test left waiting
	for _, tt := range tests {
		done := make(chan error, 1)
		go func() { done <- tt.call() }()
		select {
		case err := <-done:
			if !errors.Is(err, auth.ErrBusy) {
				t.Errorf("%s: %v, want ErrBusy", tt.name, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: still waiting 5s after its context ended", tt.name)
		}
	}
	if calls, _, _ := p.stats(); calls != 1 {
		t.Errorf("%d hashes started, want only the first caller's", calls)
	}
	p.releaseAll()
	if err := <-first; err != nil {
		t.Errorf("the caller holding the hash: %v", err)
	}
	if _, err := svc.Login(t.Context(), "ada", "correct horse"); err != nil {
		t.Errorf("a login once the hash is free: %v", err)
	}
}

// releaseAll lets every hash, waiting or to come, run; it may be called more than once.
func (p *pacedHashes) releaseAll() { p.closeOnce.Do(func() { close(p.release) }) }

// A password longer than any account may have is refused before the (costly) hash, with the
// answer a wrong password gets: no oracle.
func TestLoginRefusesOverLongPasswordsWithoutHashing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, username, password string
		wantHashes               int
		wantErr                  error
	}{
		{"known user, over-long", "ada", strings.Repeat("x", auth.MaxPasswordLength+1), 0, auth.ErrInvalidCredentials},
		{"unknown user, over-long", "nobody", strings.Repeat("x", auth.MaxPasswordLength+1), 0, auth.ErrInvalidCredentials},
		{"huge", "ada", strings.Repeat("x", 1<<20), 0, auth.ErrInvalidCredentials},
		{"longest allowed, multibyte", "ada", strings.Repeat("é", auth.MaxPasswordLength), 1, auth.ErrInvalidCredentials},
		{"wrong password", "ada", "wrong horse", 1, auth.ErrInvalidCredentials},
		{"right password", "ada", "correct horse", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, p, ev := newPacedService(t, 1)
			p.releaseAll()
			if _, err := svc.Login(t.Context(), tt.username, tt.password); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Login = %v, want %v", err, tt.wantErr)
			}
			if calls, _, _ := p.stats(); calls != tt.wantHashes {
				t.Errorf("%d hashes, want %d", calls, tt.wantHashes)
			}
			if tt.wantErr != nil && ev.last() != "login_failed" {
				t.Errorf("last event = %q, want login_failed", ev.last())
			}
		})
	}
}
