// Package localcache keeps a small, short-lived copy of links in the process,
// in front of the shared link.Cache (Redis): a redirect it serves costs a map
// lookup instead of a network round trip.
//
// Its entries are bounded in number (least recently used go first) and in
// age: one lives TTL at most, and never past its link's expiry. Delete drops
// the entry at once in this process; other replicas cannot be told, and drop
// theirs when it ages out, so a deleted link may go on redirecting there for
// up to TTL. Unknown codes are not remembered: a code created on another
// replica redirects here as soon as it is in Redis or PostgreSQL.
package localcache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"example.com/gopher-template/url-shortener/internal/link"
)

// Bounds of Options.Size and Options.TTL.
const (
	MaxSize = 1_000_000
	MaxTTL  = time.Minute
)

// Recorder is told whether each lookup was served from memory, for metrics.
// It is called on the redirect path: it must be fast and safe for concurrent
// use.
type Recorder interface {
	LocalCacheLookup(hit bool)
}

type nopRecorder struct{}

func (nopRecorder) LocalCacheLookup(bool) {}

// Options tune a Cache.
type Options struct {
	// Size is the most links kept, 1 to MaxSize.
	Size int
	// TTL is how long an entry is served without asking the next cache,
	// above 0 and at most MaxTTL; it bounds how long another replica's
	// delete takes to reach this one.
	TTL time.Duration
	// Recorder is told about lookups; nothing records them when nil.
	Recorder Recorder
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// entry is a cached link and the instant it stops being served.
type entry struct {
	link     link.Link
	deadline time.Time
}

// Cache is a link.Cache that answers from memory what it can and asks next
// for the rest. Writes and deletes go to both.
type Cache struct {
	next     link.Cache
	entries  *lru.Cache[string, entry]
	ttl      time.Duration
	recorder Recorder
	now      func() time.Time
}

var _ link.Cache = (*Cache)(nil)

// New returns a Cache in front of next. It fails when opts.Size or opts.TTL
// is out of bounds.
func New(next link.Cache, opts Options) (*Cache, error) {
	var errs []error
	if opts.Size < 1 || opts.Size > MaxSize {
		errs = append(errs, fmt.Errorf("size %d is outside 1..%d", opts.Size, MaxSize))
	}
	if opts.TTL <= 0 || opts.TTL > MaxTTL {
		errs = append(errs, fmt.Errorf("ttl %v is outside (0, %v]", opts.TTL, MaxTTL))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("localcache: %w", err)
	}
	entries, err := lru.New[string, entry](opts.Size)
	if err != nil {
		return nil, fmt.Errorf("localcache: %w", err)
	}
	c := &Cache{next: next, entries: entries, ttl: opts.TTL, recorder: opts.Recorder, now: opts.Now}
	if c.recorder == nil {
		c.recorder = nopRecorder{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Get returns the link from memory while its entry is fresh, and otherwise
// from next, keeping what next finds.
func (c *Cache) Get(ctx context.Context, code string) (link.Link, bool, error) {
	if e, ok := c.entries.Get(code); ok {
		if c.now().Before(e.deadline) {
			c.recorder.LocalCacheLookup(true)
			return e.link, true, nil
		}
		c.entries.Remove(code)
	}
	c.recorder.LocalCacheLookup(false)
	l, found, err := c.next.Get(ctx, code)
	if err != nil || !found {
		return link.Link{}, false, err
	}
	c.keep(l)
	return l, true, nil
}

// Set keeps l in memory and passes it on to next.
func (c *Cache) Set(ctx context.Context, l link.Link) error {
	c.keep(l)
	return c.next.Set(ctx, l)
}

// Delete drops the link from memory, then from next.
func (c *Cache) Delete(ctx context.Context, code string) error {
	c.entries.Remove(code)
	return c.next.Delete(ctx, code)
}

// keep stores l until its expiry or a little before TTL from now, whichever
// comes first. A link already expired is not stored.
//
// The lifetime of an entry is TTL less up to a tenth, at random: entries
// filled together (all the hot links, as a replica starts) then age out
// spread over that tenth, instead of all at once, each refill following the
// last, sending Redis a burst of misses every TTL.
func (c *Cache) keep(l link.Link) {
	now := c.now()
	deadline := now.Add(c.ttl - rand.N(c.ttl/10+1)) //nolint:gosec // jitter, not a secret
	if l.ExpiresAt != nil && l.ExpiresAt.Before(deadline) {
		deadline = *l.ExpiresAt
	}
	if !now.Before(deadline) {
		c.entries.Remove(l.Code)
		return
	}
	// Hits are not cached: they change on every redirect.
	l.Hits = 0
	c.entries.Add(l.Code, entry{link: l, deadline: deadline})
}
