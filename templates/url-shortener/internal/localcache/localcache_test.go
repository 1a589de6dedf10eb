package localcache_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/link/linktest"
	"example.com/gopher-template/url-shortener/internal/localcache"
)

const ttl = 5 * time.Second

var errDown = errors.New("redis down")

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorder counts lookups served from memory and not.
type recorder struct {
	mu           sync.Mutex
	hits, misses int
}

func (r *recorder) LocalCacheLookup(hit bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if hit {
		r.hits++
	} else {
		r.misses++
	}
}

type fixture struct {
	cache    *localcache.Cache
	next     *linktest.Cache
	clock    *clock
	recorder *recorder
}

func newFixture(t *testing.T, size int) *fixture {
	t.Helper()
	f := &fixture{
		next:     linktest.NewCache(),
		clock:    &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		recorder: &recorder{},
	}
	var err error
	f.cache, err = localcache.New(f.next, localcache.Options{Size: size, TTL: ttl, Recorder: f.recorder, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// get looks code up and reports whether it was found, and whether the next
// cache was asked.
func (f *fixture) get(t *testing.T, code string) (l link.Link, found, askedNext bool) {
	t.Helper()
	hits, misses := f.next.Stats()
	l, found, err := f.cache.Get(t.Context(), code)
	if err != nil {
		t.Fatalf("Get(%q): %v", code, err)
	}
	afterHits, afterMisses := f.next.Stats()
	return l, found, afterHits+afterMisses > hits+misses
}

func ptr[T any](v T) *T { return &v }

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    localcache.Options
		wantErr string
	}{
		{name: "no size", opts: localcache.Options{TTL: time.Second}, wantErr: "size 0"},
		{name: "too big", opts: localcache.Options{Size: localcache.MaxSize + 1, TTL: time.Second}, wantErr: "size"},
		{name: "no ttl", opts: localcache.Options{Size: 10}, wantErr: "ttl 0s"},
		{name: "negative ttl", opts: localcache.Options{Size: 10, TTL: -time.Second}, wantErr: "ttl"},
		{name: "ttl too long", opts: localcache.Options{Size: 10, TTL: localcache.MaxTTL + time.Second}, wantErr: "ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := localcache.New(linktest.NewCache(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || c != nil {
				t.Fatalf("New(%+v) = %v, %v; want nil and an error about %q", tt.opts, c, err, tt.wantErr)
			}
		})
	}
	if _, err := localcache.New(linktest.NewCache(), localcache.Options{Size: localcache.MaxSize, TTL: localcache.MaxTTL}); err != nil {
		t.Errorf("New() at the bounds: %v", err)
	}
}

// minLifetime is the shortest life of an entry: TTL less a tenth.
const minLifetime = ttl - ttl/10

// TestEntryLifetime: an entry is served from memory for up to TTL, never past
// its link's expiry; then the next cache is asked again.
func TestEntryLifetime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		expiresIn *time.Duration // from the time of Set; nil: never
		after     time.Duration  // from the time of Set
		want      bool           // served from memory
	}{
		{name: "fresh", after: 0, want: true},
		{name: "just before ttl less a tenth", after: minLifetime - time.Nanosecond, want: true},
		{name: "at ttl", after: ttl},
		{name: "after ttl", after: time.Hour},
		{name: "expiring after ttl, before ttl", expiresIn: ptr(time.Minute), after: minLifetime - time.Millisecond, want: true},
		{name: "expiring before ttl, before expiry", expiresIn: ptr(time.Second), after: time.Second - time.Nanosecond, want: true},
		{name: "expiring before ttl, at expiry", expiresIn: ptr(time.Second), after: time.Second},
		{name: "expiring before ttl, after expiry", expiresIn: ptr(time.Second), after: 2 * time.Second},
		{name: "expired already", expiresIn: ptr(-time.Second), after: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 10)
			l := link.Link{ID: 1, Code: "abc1234", URL: "https://example.org", Hits: 42}
			if tt.expiresIn != nil {
				l.ExpiresAt = ptr(f.clock.Now().Add(*tt.expiresIn))
			}
			if err := f.cache.Set(t.Context(), l); err != nil {
				t.Fatal(err)
			}
			// Gone from the next cache (deleted through another replica, or
			// evicted): only this process's memory can still answer.
			if err := f.next.Delete(t.Context(), l.Code); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(tt.after)

			got, found, askedNext := f.get(t, l.Code)
			if tt.want {
				if !found || askedNext || got.URL != l.URL || got.Hits != 0 {
					t.Errorf("Get() = %+v, found %v, asked next %v; want it from memory, without hits", got, found, askedNext)
				}
				return
			}
			if found || !askedNext {
				t.Errorf("Get() = %+v, found %v, asked next %v; want the next cache asked, and the link gone", got, found, askedNext)
			}
		})
	}
}

// TestEntryLifetimesAreSpread: entries filled at the same instant do not all
// age out at the same instant, which would send a burst of misses to Redis.
func TestEntryLifetimesAreSpread(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1000)
	const n = 200
	for i := range n {
		if err := f.cache.Set(t.Context(), link.Link{Code: fmt.Sprintf("code%03d", i), URL: "https://example.org"}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(minLifetime + (ttl-minLifetime)/2)
	var fromMemory int
	for i := range n {
		if _, found, askedNext := f.get(t, fmt.Sprintf("code%03d", i)); found && !askedNext {
			fromMemory++
		}
	}
	// Each entry is alive with probability one half: all or none would be a
	// one in 2^199 event.
	if fromMemory == 0 || fromMemory == n {
		t.Errorf("%d of %d entries alive midway between TTL less a tenth and TTL, want some but not all", fromMemory, n)
	}
}

func TestGetKeepsWhatNextFinds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	l := link.Link{ID: 1, Code: "abc1234", URL: "https://example.org"}
	if err := f.next.Set(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	if _, found, askedNext := f.get(t, l.Code); !found || !askedNext {
		t.Fatalf("first Get: found %v, asked next %v; want found in the next cache", found, askedNext)
	}
	for range 3 {
		if _, found, askedNext := f.get(t, l.Code); !found || askedNext {
			t.Fatalf("Get: found %v, asked next %v; want it from memory", found, askedNext)
		}
	}
	if f.recorder.hits != 3 || f.recorder.misses != 1 {
		t.Errorf("recorded %d hits and %d misses, want 3 and 1", f.recorder.hits, f.recorder.misses)
	}
}

// TestUnknownCodesAreNotRemembered: a code unknown a moment ago, created
// since through another replica, is found at once.
func TestUnknownCodesAreNotRemembered(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	if _, found, _ := f.get(t, "new1234"); found {
		t.Fatal("found a code nobody created")
	}
	if err := f.next.Set(t.Context(), link.Link{Code: "new1234", URL: "https://example.org"}); err != nil {
		t.Fatal(err)
	}
	if _, found, askedNext := f.get(t, "new1234"); !found || !askedNext {
		t.Errorf("Get() after the code was created elsewhere: found %v, asked next %v", found, askedNext)
	}
}

func TestDeleteDropsTheEntryAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		nextErr error
	}{
		{name: "next cache up"},
		{name: "next cache down", nextErr: errDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 10)
			l := link.Link{Code: "abc1234", URL: "https://example.org"}
			if err := f.cache.Set(t.Context(), l); err != nil {
				t.Fatal(err)
			}
			f.next.Err = tt.nextErr
			if err := f.cache.Delete(t.Context(), l.Code); !errors.Is(err, tt.nextErr) {
				t.Fatalf("Delete() error = %v, want %v", err, tt.nextErr)
			}
			f.next.Err = nil
			if err := f.next.Delete(t.Context(), l.Code); err != nil { // what the failed delete left
				t.Fatal(err)
			}
			if _, found, askedNext := f.get(t, l.Code); found || !askedNext {
				t.Errorf("Get() after Delete: found %v, asked next %v; want the entry gone from memory", found, askedNext)
			}
		})
	}
}

func TestNextCacheFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	l := link.Link{Code: "abc1234", URL: "https://example.org"}
	f.next.Err = errDown
	// A failed write to the next cache still keeps the link in memory.
	if err := f.cache.Set(t.Context(), l); !errors.Is(err, errDown) {
		t.Fatalf("Set() error = %v, want %v", err, errDown)
	}
	if got, found, err := f.cache.Get(t.Context(), l.Code); err != nil || !found || got.URL != l.URL {
		t.Errorf("Get() = %+v, %v, %v; want it from memory", got, found, err)
	}
	if _, found, err := f.cache.Get(t.Context(), "other12"); !errors.Is(err, errDown) || found {
		t.Errorf("Get(other) = %v, %v; want the next cache's error", found, err)
	}
}

func TestSizeIsBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	for _, code := range []string{"first12", "second1", "third12"} {
		if err := f.cache.Set(t.Context(), link.Link{Code: code, URL: "https://example.org/" + code}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		code       string
		fromMemory bool
	}{
		{code: "second1", fromMemory: true},
		{code: "third12", fromMemory: true},
		{code: "first12"}, // the least recently used, evicted
	}
	for _, tt := range tests {
		if _, found, askedNext := f.get(t, tt.code); !found || askedNext == tt.fromMemory {
			t.Errorf("Get(%s): found %v, asked next %v; want from memory %v", tt.code, found, askedNext, tt.fromMemory)
		}
	}
}
