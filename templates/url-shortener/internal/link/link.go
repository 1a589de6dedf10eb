// Package link is the domain of the service: the Link type, the rules for
// creating and resolving links, and the ports (Repository, Cache, HitCounter,
// Recorder) that adapters implement. It knows nothing about HTTP, SQL, Redis
// or Prometheus.
package link

import (
	"context"
	"errors"
	"time"
)

// Link maps a short code to a target URL.
type Link struct {
	// ID orders links for keyset pagination; it is assigned by the Repository.
	ID        int64
	Code      string
	URL       string
	CreatedAt time.Time
	// ExpiresAt is nil for links that never expire.
	ExpiresAt *time.Time
	// Hits counts redirects served for the link.
	Hits int64
}

// Expired reports whether the link has expired at now.
func (l Link) Expired(now time.Time) bool {
	return l.ExpiresAt != nil && !now.Before(*l.ExpiresAt)
}

// Page is one page of links, newest first.
type Page struct {
	Links []Link
	// NextCursor continues the listing; it is empty on the last page.
	NextCursor string
}

// Sentinel errors returned by the Service. Adapters map their own failures to
// these so callers can match them with errors.Is.
var (
	ErrNotFound      = errors.New("link not found")
	ErrExpired       = errors.New("link expired")
	ErrAliasTaken    = errors.New("alias already taken")
	ErrInvalidURL    = errors.New("invalid url")
	ErrInvalidAlias  = errors.New("invalid alias")
	ErrInvalidExpiry = errors.New("invalid expires_at")
	ErrInvalidCursor = errors.New("invalid cursor")
	ErrInvalidLimit  = errors.New("invalid limit")
)

// IsInvalidInput reports whether err was caused by invalid caller input.
func IsInvalidInput(err error) bool {
	return errors.Is(err, ErrInvalidURL) ||
		errors.Is(err, ErrInvalidAlias) ||
		errors.Is(err, ErrInvalidExpiry) ||
		errors.Is(err, ErrInvalidCursor) ||
		errors.Is(err, ErrInvalidLimit)
}

// Repository stores links durably.
type Repository interface {
	// Create inserts l and sets its ID. It returns ErrAliasTaken when the
	// code is already in use.
	Create(ctx context.Context, l *Link) error
	// Get returns the link with code, or ErrNotFound.
	Get(ctx context.Context, code string) (Link, error)
	// List returns up to limit links with an ID below beforeID (all links
	// when beforeID is 0), ordered by ID descending.
	List(ctx context.Context, beforeID int64, limit int) ([]Link, error)
	// Delete removes the link with code, or returns ErrNotFound.
	Delete(ctx context.Context, code string) error
	// AddHits adds the given number of hits to each code's counter.
	AddHits(ctx context.Context, hits map[string]int64) error
}

// Cache is a best-effort copy of links used on the redirect path: written
// through when a link is created, filled on a miss, evicted on delete. Its
// errors are logged and otherwise ignored by the Service.
type Cache interface {
	// Get returns the cached link and whether it was found.
	Get(ctx context.Context, code string) (Link, bool, error)
	// Set caches l; a cache with a TTL caps it at l.ExpiresAt.
	Set(ctx context.Context, l Link) error
	Delete(ctx context.Context, code string) error
}

// HitCounter records redirects without touching the database on the hot path.
type HitCounter interface {
	// Incr records one hit for code.
	Incr(code string)
	// Pending returns hits recorded for code but not yet stored.
	Pending(code string) int64
}

// Results passed to a Recorder.
const (
	CacheHit   = "hit"
	CacheMiss  = "miss"
	CacheError = "error"

	ResolveFound    = "found"
	ResolveNotFound = "not_found"
	ResolveExpired  = "expired"
	ResolveError    = "error"
)

// Recorder is told what the Service observes, for metrics. Its methods are
// called on the redirect path: they must be fast and safe for concurrent use.
type Recorder interface {
	// CacheLookup records the result of a cache read: CacheHit, CacheMiss or
	// CacheError.
	CacheLookup(result string)
	// Resolved records the result of Resolve: ResolveFound, ResolveNotFound,
	// ResolveExpired or ResolveError.
	Resolved(result string)
}

type nopRecorder struct{}

func (nopRecorder) CacheLookup(string) {}
func (nopRecorder) Resolved(string)    {}
