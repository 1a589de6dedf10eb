package link

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// Limits of List.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// maxCodeAttempts bounds retries when a generated code is already taken.
const maxCodeAttempts = 5

// Options tune a Service.
type Options struct {
	// CodeLength is the length of generated codes, MinCodeLength to
	// MaxCodeLength.
	CodeLength int
	// Recorder is told about cache lookups and resolutions; nothing records
	// them when nil.
	Recorder Recorder
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// NewCode generates a candidate code; GenerateCode(CodeLength) when nil.
	NewCode func() (string, error)
}

// Service holds the business rules for links.
type Service struct {
	logger   *slog.Logger
	repo     Repository
	cache    Cache
	hits     HitCounter
	recorder Recorder
	now      func() time.Time
	newCode  func() (string, error)
}

// NewService returns a Service backed by the given ports. Without
// opts.NewCode, it fails when opts.CodeLength is out of bounds.
func NewService(logger *slog.Logger, repo Repository, cache Cache, hits HitCounter, opts Options) (*Service, error) {
	s := &Service{
		logger:   logger,
		repo:     repo,
		cache:    cache,
		hits:     hits,
		recorder: opts.Recorder,
		now:      opts.Now,
		newCode:  opts.NewCode,
	}
	if s.recorder == nil {
		s.recorder = nopRecorder{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newCode == nil {
		length := opts.CodeLength
		if length < MinCodeLength || length > MaxCodeLength {
			return nil, fmt.Errorf("link: code length %d is outside %d..%d", length, MinCodeLength, MaxCodeLength)
		}
		s.newCode = func() (string, error) { return GenerateCode(length) }
	}
	return s, nil
}

// CreateParams describe a link to create.
type CreateParams struct {
	URL string
	// Alias is an optional caller-chosen code.
	Alias string
	// ExpiresAt is optional and must be in the future.
	ExpiresAt *time.Time
}

// Create validates p and stores a new link, then writes it through to the
// cache. With an alias it returns ErrAliasTaken if the alias is in use;
// otherwise it generates a random code, retrying a bounded number of times
// on collision.
func (s *Service) Create(ctx context.Context, p CreateParams) (Link, error) {
	l, err := s.create(ctx, p)
	if err != nil {
		return Link{}, err
	}
	s.warm(ctx, l)
	return l, nil
}

// warm caches a new link, so that it redirects from the cache even when the
// repository fails before its first redirect. It is best effort: the link is
// stored, and a cache failure is logged, not returned. The cache bounds the
// entry's lifetime by the link's expiry, as it does on the redirect path.
func (s *Service) warm(ctx context.Context, l Link) {
	if err := s.cache.Set(ctx, l); err != nil {
		s.logger.WarnContext(ctx, "cache write-through failed; the link is cached on its first redirect",
			slog.String("code", l.Code), slog.Any("error", err))
	}
}

func (s *Service) create(ctx context.Context, p CreateParams) (Link, error) {
	if err := ValidateURL(p.URL); err != nil {
		return Link{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	l := Link{URL: p.URL, CreatedAt: now}
	if p.ExpiresAt != nil {
		if !p.ExpiresAt.After(now) {
			return Link{}, fmt.Errorf("%w: must be in the future", ErrInvalidExpiry)
		}
		exp := p.ExpiresAt.UTC().Truncate(time.Microsecond)
		l.ExpiresAt = &exp
	}

	if p.Alias != "" {
		if err := ValidateAlias(p.Alias); err != nil {
			return Link{}, err
		}
		l.Code = p.Alias
		if err := s.repo.Create(ctx, &l); err != nil {
			return Link{}, fmt.Errorf("create link: %w", err)
		}
		return l, nil
	}

	for range maxCodeAttempts {
		code, err := s.newCode()
		if err != nil {
			return Link{}, fmt.Errorf("create link: %w", err)
		}
		if reserved(code) {
			continue
		}
		l.Code = code
		err = s.repo.Create(ctx, &l)
		if errors.Is(err, ErrAliasTaken) {
			s.logger.DebugContext(ctx, "generated code collided, retrying", slog.String("code", code))
			continue
		}
		if err != nil {
			return Link{}, fmt.Errorf("create link: %w", err)
		}
		return l, nil
	}
	return Link{}, fmt.Errorf("create link: no free code after %d attempts", maxCodeAttempts)
}

// Resolve returns the link to redirect to and records a hit. It reads the
// cache first and falls back to the Repository; cache failures are logged
// and ignored so redirects keep working without the cache. It returns
// ErrNotFound or ErrExpired when the link cannot be followed.
func (s *Service) Resolve(ctx context.Context, code string) (Link, error) {
	l, err := s.resolve(ctx, code)
	switch {
	case err == nil:
		s.recorder.Resolved(ResolveFound)
	case errors.Is(err, ErrNotFound):
		s.recorder.Resolved(ResolveNotFound)
	case errors.Is(err, ErrExpired):
		s.recorder.Resolved(ResolveExpired)
	default:
		s.recorder.Resolved(ResolveError)
	}
	return l, err
}

func (s *Service) resolve(ctx context.Context, code string) (Link, error) {
	if !plausibleCode(code) {
		return Link{}, fmt.Errorf("resolve %q: %w", code, ErrNotFound)
	}
	l, found, err := s.cache.Get(ctx, code)
	switch {
	case err != nil:
		s.recorder.CacheLookup(CacheError)
		s.logger.WarnContext(ctx, "cache get failed", slog.String("code", code), slog.Any("error", err))
	case found:
		s.recorder.CacheLookup(CacheHit)
	default:
		s.recorder.CacheLookup(CacheMiss)
	}
	if !found {
		l, err = s.repo.Get(ctx, code)
		if err != nil {
			return Link{}, fmt.Errorf("resolve %q: %w", code, err)
		}
		if !s.expired(l) {
			if err := s.cache.Set(ctx, l); err != nil {
				s.logger.WarnContext(ctx, "cache set failed", slog.String("code", code), slog.Any("error", err))
			}
		}
	}
	if s.expired(l) {
		return Link{}, fmt.Errorf("resolve %q: %w", code, ErrExpired)
	}
	s.hits.Incr(code)
	return l, nil
}

// expired reports whether l has expired now. It reads the clock only for a
// link that expires at all: on the redirect path, most do not.
func (s *Service) expired(l Link) bool {
	return l.ExpiresAt != nil && l.Expired(s.now())
}

// Get returns a link with its hit count, including hits not yet stored.
func (s *Service) Get(ctx context.Context, code string) (Link, error) {
	if !plausibleCode(code) {
		return Link{}, fmt.Errorf("get %q: %w", code, ErrNotFound)
	}
	l, err := s.repo.Get(ctx, code)
	if err != nil {
		return Link{}, fmt.Errorf("get %q: %w", code, err)
	}
	l.Hits += s.hits.Pending(code)
	return l, nil
}

// List returns up to limit links, newest first, starting after cursor (an
// empty cursor starts at the newest link).
func (s *Service) List(ctx context.Context, cursor string, limit int) (Page, error) {
	if limit < 1 || limit > MaxPageSize {
		return Page{}, fmt.Errorf("%w: must be between 1 and %d", ErrInvalidLimit, MaxPageSize)
	}
	beforeID, err := decodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	// Fetch one extra row to learn whether another page exists.
	links, err := s.repo.List(ctx, beforeID, limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("list links: %w", err)
	}
	page := Page{Links: links}
	if len(links) > limit {
		page.Links = links[:limit]
		page.NextCursor = encodeCursor(page.Links[limit-1].ID)
	}
	for i := range page.Links {
		page.Links[i].Hits += s.hits.Pending(page.Links[i].Code)
	}
	return page, nil
}

// Delete removes a link and evicts it from the cache.
func (s *Service) Delete(ctx context.Context, code string) error {
	if !plausibleCode(code) {
		return fmt.Errorf("delete %q: %w", code, ErrNotFound)
	}
	if err := s.repo.Delete(ctx, code); err != nil {
		return fmt.Errorf("delete %q: %w", code, err)
	}
	if err := s.cache.Delete(ctx, code); err != nil {
		s.logger.WarnContext(ctx, "cache delete failed; link may redirect until its cache entry expires",
			slog.String("code", code), slog.Any("error", err))
	}
	return nil
}

// Cursors are opaque to clients: base64url of the last ID on the page.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt(nil, id, 10))
}

func decodeCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, fmt.Errorf("%w: malformed", ErrInvalidCursor) // not base64's wording
	}
	id, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%w: malformed", ErrInvalidCursor)
	}
	return id, nil
}
