// Package linktest provides in-memory implementations of the link ports for
// tests.
package linktest

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"

	"example.com/gopher-template/url-shortener/internal/link"
)

// Repository is an in-memory link.Repository. Set Err to make every call fail.
type Repository struct {
	mu     sync.Mutex
	nextID int64
	links  map[string]link.Link
	// Err, when set, is returned by every method.
	Err error
}

var _ link.Repository = (*Repository)(nil)

// NewRepository returns an empty Repository.
func NewRepository() *Repository {
	return &Repository{links: make(map[string]link.Link)}
}

func (r *Repository) Create(_ context.Context, l *link.Link) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return r.Err
	}
	if _, ok := r.links[l.Code]; ok {
		return link.ErrAliasTaken
	}
	r.nextID++
	l.ID = r.nextID
	r.links[l.Code] = *l
	return nil
}

func (r *Repository) Get(_ context.Context, code string) (link.Link, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return link.Link{}, r.Err
	}
	l, ok := r.links[code]
	if !ok {
		return link.Link{}, link.ErrNotFound
	}
	return l, nil
}

func (r *Repository) List(_ context.Context, beforeID int64, limit int) ([]link.Link, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return nil, r.Err
	}
	var out []link.Link
	for _, l := range r.links {
		if beforeID == 0 || l.ID < beforeID {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b link.Link) int { return cmp.Compare(b.ID, a.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (r *Repository) Delete(_ context.Context, code string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return r.Err
	}
	if _, ok := r.links[code]; !ok {
		return link.ErrNotFound
	}
	delete(r.links, code)
	return nil
}

func (r *Repository) AddHits(_ context.Context, hits map[string]int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return r.Err
	}
	for code, n := range hits {
		if l, ok := r.links[code]; ok {
			l.Hits += n
			r.links[code] = l
		}
	}
	return nil
}

// Cache is an in-memory link.Cache that counts lookups. Set Err to make every
// call fail, as an unreachable Redis would.
type Cache struct {
	mu     sync.Mutex
	links  map[string]link.Link
	hits   int
	misses int
	// Err, when set, is returned by every method.
	Err error
}

var _ link.Cache = (*Cache)(nil)

// NewCache returns an empty Cache.
func NewCache() *Cache {
	return &Cache{links: make(map[string]link.Link)}
}

func (c *Cache) Get(_ context.Context, code string) (link.Link, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Err != nil {
		return link.Link{}, false, c.Err
	}
	l, ok := c.links[code]
	if ok {
		c.hits++
	} else {
		c.misses++
	}
	return l, ok, nil
}

func (c *Cache) Set(_ context.Context, l link.Link) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Err != nil {
		return c.Err
	}
	c.links[l.Code] = l
	return nil
}

func (c *Cache) Delete(_ context.Context, code string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Err != nil {
		return c.Err
	}
	delete(c.links, code)
	return nil
}

// Stats returns the number of cache hits and misses so far.
func (c *Cache) Stats() (hits, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// Hits is an in-memory link.HitCounter that never flushes.
type Hits struct {
	mu     sync.Mutex
	counts map[string]int64
}

var _ link.HitCounter = (*Hits)(nil)

// NewHits returns an empty Hits.
func NewHits() *Hits {
	return &Hits{counts: make(map[string]int64)}
}

func (h *Hits) Incr(code string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[code]++
}

func (h *Hits) Pending(code string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[code]
}

// Recorder is a link.Recorder that counts what it is told.
type Recorder struct {
	mu       sync.Mutex
	lookups  map[string]int
	resolved map[string]int
}

var _ link.Recorder = (*Recorder)(nil)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{lookups: make(map[string]int), resolved: make(map[string]int)}
}

func (r *Recorder) CacheLookup(result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups[result]++
}

func (r *Recorder) Resolved(result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resolved[result]++
}

// Counts returns how many times each cache lookup result and each Resolve
// result was recorded.
func (r *Recorder) Counts() (lookups, resolved map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.lookups), maps.Clone(r.resolved)
}
