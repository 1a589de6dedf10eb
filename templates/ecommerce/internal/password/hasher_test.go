package password_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/gopher-template/ecommerce/internal/password"
)

// paced stands in for argon2id: it counts the hashes, how many run at once, and holds each
// until release is closed.
type paced struct {
	mu                   sync.Mutex
	calls, running, most int
	release              chan struct{}
	once                 sync.Once
}

func (p *paced) run() {
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

func (p *paced) stats() (calls, running, most int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls, p.running, p.most
}

func (p *paced) releaseAll() { p.once.Do(func() { close(p.release) }) }

func newPaced(t *testing.T, concurrency int, wait time.Duration) (*password.Hasher, *paced) {
	t.Helper()
	h, err := password.NewHasher(password.HasherOptions{Params: cheap, Concurrency: concurrency, Wait: wait})
	if err != nil {
		t.Fatal(err)
	}
	p := &paced{release: make(chan struct{})}
	h.SetFuncs(func(pw string, params password.Params) (string, error) {
		p.run()
		return password.Hash(pw, params)
	}, func(pw, hash string) error {
		p.run()
		return password.Verify(pw, hash)
	})
	t.Cleanup(p.releaseAll)
	return h, p
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprintf("at most %d", limit), func(t *testing.T) {
			t.Parallel()
			h, p := newPaced(t, limit, time.Minute)
			const callers = 7
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					if _, err := h.Hash(t.Context(), "correct horse"); err != nil {
						t.Error(err)
					}
				})
			}
			waitFor(t, func() bool { _, running, _ := p.stats(); return running == limit })
			time.Sleep(50 * time.Millisecond) // room for a caller that would exceed the bound
			p.releaseAll()
			wg.Wait()
			if calls, _, most := p.stats(); calls != callers || most != limit {
				t.Errorf("%d hashes, at most %d at once; want %d, at most %d", calls, most, callers, limit)
			}
		})
	}
}

func TestHasherIsBusyWhenNoSlotFrees(t *testing.T) {
	t.Parallel()
	h, p := newPaced(t, 1, 30*time.Millisecond)
	hash, err := password.Hash("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	holder := make(chan error, 1)
	go func() { holder <- h.Verify(t.Context(), "correct horse", hash) }()
	waitFor(t, func() bool { _, running, _ := p.stats(); return running == 1 })

	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		call func() error
	}{
		{"hash, the wait passes", func() error { _, err := h.Hash(t.Context(), "pw"); return err }},
		{"verify, the wait passes", func() error { return h.Verify(t.Context(), "pw", hash) }},
		{"hash, the context is canceled", func() error { _, err := h.Hash(canceled, "pw"); return err }},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, password.ErrBusy) {
			t.Errorf("%s: %v, want ErrBusy", tt.name, err)
		}
	}
	p.releaseAll()
	if err := <-holder; err != nil {
		t.Errorf("the caller holding the slot: %v", err)
	}
	if calls, _, _ := p.stats(); calls != 1 {
		t.Errorf("%d hashes ran, want only the holder's", calls)
	}
	if err := h.Verify(t.Context(), "correct horse", hash); err != nil {
		t.Errorf("once the slot is free: %v", err)
	}
}

func TestHasherRefusesOverLongPasswordsWithoutHashing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		pw         string
		wantErr    error
		wantHashes int
	}{
		{"longest allowed, multibyte", strings.Repeat("é", password.MaxLength), nil, 2},
		{"one too many", strings.Repeat("x", password.MaxLength+1), password.ErrTooLong, 0},
		{"a megabyte", strings.Repeat("x", 1<<20), password.ErrTooLong, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, p := newPaced(t, 1, time.Second)
			p.releaseAll()
			hash, err := h.Hash(t.Context(), tt.pw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Hash = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				if err := h.Verify(t.Context(), tt.pw, hash); err != nil {
					t.Errorf("Verify = %v", err)
				}
			} else if err := h.Verify(t.Context(), tt.pw, "$argon2id$whatever"); !errors.Is(err, password.ErrTooLong) {
				t.Errorf("Verify = %v, want ErrTooLong", err)
			}
			if calls, _, _ := p.stats(); calls != tt.wantHashes {
				t.Errorf("%d hashes, want %d", calls, tt.wantHashes)
			}
		})
	}
}

func TestNewHasherValidates(t *testing.T) {
	t.Parallel()
	tests := map[string]password.HasherOptions{
		"bad params":           {Params: password.Params{}},
		"negative concurrency": {Params: cheap, Concurrency: -1},
		"negative wait":        {Params: cheap, Wait: -time.Second},
	}
	for name, opts := range tests {
		if _, err := password.NewHasher(opts); err == nil {
			t.Errorf("%s: NewHasher accepted %+v", name, opts)
		}
	}
}
