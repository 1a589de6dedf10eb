package link_test

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/link/linktest"
)

var errBoom = errors.New("boom")

type fixture struct {
	svc      *link.Service
	repo     *linktest.Repository
	cache    *linktest.Cache
	hits     *linktest.Hits
	recorder *linktest.Recorder
	now      time.Time
}

func newFixture(t *testing.T, opts link.Options) *fixture {
	t.Helper()
	f := &fixture{
		repo:     linktest.NewRepository(),
		cache:    linktest.NewCache(),
		hits:     linktest.NewHits(),
		recorder: linktest.NewRecorder(),
		now:      time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	if opts.CodeLength == 0 {
		opts.CodeLength = 8
	}
	opts.Now = func() time.Time { return f.now }
	opts.Recorder = f.recorder
	svc, err := link.NewService(slog.New(slog.DiscardHandler), f.repo, f.cache, f.hits, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func TestNewServiceCodeLength(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		length int
		ok     bool
	}{
		{length: link.MinCodeLength - 1},
		{length: link.MinCodeLength, ok: true},
		{length: link.MaxCodeLength, ok: true},
		{length: link.MaxCodeLength + 1},
	} {
		_, err := link.NewService(slog.New(slog.DiscardHandler), linktest.NewRepository(), linktest.NewCache(), linktest.NewHits(),
			link.Options{CodeLength: tt.length})
		if (err == nil) != tt.ok {
			t.Errorf("NewService(CodeLength: %d) error = %v, want ok = %v", tt.length, err, tt.ok)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestServiceCreate(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name     string
		existing []string
		params   link.CreateParams
		wantErr  error
		wantCode string
	}{
		{name: "generated code", params: link.CreateParams{URL: "https://example.org/a"}},
		{name: "alias", params: link.CreateParams{URL: "https://example.org/a", Alias: "my-alias"}, wantCode: "my-alias"},
		{name: "alias taken", existing: []string{"taken"}, params: link.CreateParams{URL: "https://example.org", Alias: "taken"}, wantErr: link.ErrAliasTaken},
		{name: "alias too short", params: link.CreateParams{URL: "https://example.org", Alias: "ab"}, wantErr: link.ErrInvalidAlias},
		{name: "alias bad chars", params: link.CreateParams{URL: "https://example.org", Alias: "a/b/c"}, wantErr: link.ErrInvalidAlias},
		{name: "alias reserved", params: link.CreateParams{URL: "https://example.org", Alias: "healthz"}, wantErr: link.ErrInvalidAlias},
		{name: "invalid url", params: link.CreateParams{URL: "ftp://example.org"}, wantErr: link.ErrInvalidURL},
		{name: "empty url", params: link.CreateParams{}, wantErr: link.ErrInvalidURL},
		{name: "expiry in future", params: link.CreateParams{URL: "https://example.org", ExpiresAt: ptr(now.Add(time.Hour))}},
		{name: "expiry now", params: link.CreateParams{URL: "https://example.org", ExpiresAt: ptr(now)}, wantErr: link.ErrInvalidExpiry},
		{name: "expiry in past", params: link.CreateParams{URL: "https://example.org", ExpiresAt: ptr(now.Add(-time.Second))}, wantErr: link.ErrInvalidExpiry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, link.Options{})
			f.now = now
			for _, code := range tt.existing {
				if _, err := f.svc.Create(t.Context(), link.CreateParams{URL: "https://example.org", Alias: code}); err != nil {
					t.Fatalf("seed %q: %v", code, err)
				}
			}
			got, err := f.svc.Create(t.Context(), tt.params)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Create() error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if tt.wantCode != "" && got.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", got.Code, tt.wantCode)
			}
			if tt.wantCode == "" && len(got.Code) != 8 {
				t.Errorf("generated code %q has length %d, want 8", got.Code, len(got.Code))
			}
			if got.URL != tt.params.URL || !got.CreatedAt.Equal(now) || got.ID == 0 {
				t.Errorf("unexpected link %+v", got)
			}
			stored, err := f.repo.Get(t.Context(), got.Code)
			if err != nil || stored.URL != tt.params.URL {
				t.Errorf("stored link = %+v, %v", stored, err)
			}
		})
	}
}

// TestServiceCreateWarmsCache checks the write-through: a new link is cached
// at once, so that it redirects from the cache even if the repository is
// unreachable before its first redirect. A cache failure does not fail the
// creation.
func TestServiceCreateWarmsCache(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		params     link.CreateParams
		cacheErr   error
		wantCached bool
	}{
		{name: "generated code", params: link.CreateParams{URL: "https://example.org/a"}, wantCached: true},
		{name: "alias", params: link.CreateParams{URL: "https://example.org/b", Alias: "warm-alias"}, wantCached: true},
		{name: "expiring", params: link.CreateParams{URL: "https://example.org/c", ExpiresAt: ptr(time.Date(2030, 1, 3, 0, 0, 0, 0, time.UTC))}, wantCached: true},
		{name: "cache down", params: link.CreateParams{URL: "https://example.org/d"}, cacheErr: errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, link.Options{})
			f.cache.Err = tt.cacheErr
			created, err := f.svc.Create(t.Context(), tt.params)
			if err != nil {
				t.Fatalf("Create() error = %v, want the cache failure ignored", err)
			}
			f.cache.Err = nil
			cached, found, err := f.cache.Get(t.Context(), created.Code)
			if err != nil || found != tt.wantCached {
				t.Fatalf("cached = %v, %v; want %v", found, err, tt.wantCached)
			}
			if found && (cached.ID != created.ID || cached.URL != created.URL || !cached.CreatedAt.Equal(created.CreatedAt) ||
				fmt.Sprint(cached.ExpiresAt) != fmt.Sprint(created.ExpiresAt)) {
				t.Errorf("cached %+v, want %+v", cached, created)
			}

			// The repository is gone; the first redirect is served by the cache.
			f.repo.Err = errBoom
			if got, err := f.svc.Resolve(t.Context(), created.Code); (err == nil) != tt.wantCached || (err == nil && got.URL != created.URL) {
				t.Errorf("Resolve() with the repository down = %+v, %v; want it to succeed: %v", got, err, tt.wantCached)
			}
		})
	}
}

func TestServiceCreateRetriesCollisions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		seed     []string
		codes    []string
		wantCode string
		wantErr  bool
	}{
		{name: "first free", codes: []string{"aaaaaaa"}, wantCode: "aaaaaaa"},
		{name: "retry after collision", seed: []string{"taken01"}, codes: []string{"taken01", "free001"}, wantCode: "free001"},
		{name: "skip reserved", codes: []string{"healthz", "free002"}, wantCode: "free002"},
		{name: "give up", seed: []string{"taken01"}, codes: []string{"taken01"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			next := 0
			f := newFixture(t, link.Options{NewCode: func() (string, error) {
				code := tt.codes[min(next, len(tt.codes)-1)]
				next++
				return code, nil
			}})
			for _, code := range tt.seed {
				if err := f.repo.Create(t.Context(), &link.Link{Code: code, URL: "https://example.org"}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := f.svc.Create(t.Context(), link.CreateParams{URL: "https://example.org"})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Create() = %+v, want error", got)
				}
				if errors.Is(err, link.ErrAliasTaken) {
					t.Errorf("exhausted retries must not look like a taken alias: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Create() error = %v", err)
			}
			if got.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", got.Code, tt.wantCode)
			}
		})
	}
}

func TestServiceCreateCodeGeneratorError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, link.Options{NewCode: func() (string, error) { return "", errBoom }})
	if _, err := f.svc.Create(t.Context(), link.CreateParams{URL: "https://example.org"}); !errors.Is(err, errBoom) {
		t.Fatalf("Create() error = %v, want %v", err, errBoom)
	}
}

func TestServiceResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		expiresIn  time.Duration // 0: never expires
		advance    time.Duration // clock moves after creation
		cached     bool          // entry primed in the cache before Resolve
		cacheErr   error
		repoErr    error
		code       string // looked-up code; the created one when empty
		wantErr    error
		wantHits   int64
		wantCached bool   // entry in the cache after Resolve
		wantLookup string // recorded cache lookup result; none when empty
		wantResult string // recorded Resolve result
	}{
		{name: "from repository", wantHits: 1, wantCached: true, wantLookup: link.CacheMiss, wantResult: link.ResolveFound},
		{name: "from cache", cached: true, wantHits: 1, wantCached: true, wantLookup: link.CacheHit, wantResult: link.ResolveFound},
		{name: "cache down", cacheErr: errBoom, wantHits: 1, wantLookup: link.CacheError, wantResult: link.ResolveFound},
		{name: "unknown code", code: "nope123", wantErr: link.ErrNotFound, wantLookup: link.CacheMiss, wantResult: link.ResolveNotFound},
		{name: "implausible code", code: "no/such code", wantErr: link.ErrNotFound, wantResult: link.ResolveNotFound},
		{name: "expired", expiresIn: time.Minute, advance: time.Minute, wantErr: link.ErrExpired, wantLookup: link.CacheMiss, wantResult: link.ResolveExpired},
		{name: "expired while cached", expiresIn: time.Minute, advance: 2 * time.Minute, cached: true, wantErr: link.ErrExpired, wantCached: true,
			wantLookup: link.CacheHit, wantResult: link.ResolveExpired},
		{name: "not yet expired", expiresIn: time.Minute, advance: time.Second, wantHits: 1, wantCached: true, wantLookup: link.CacheMiss, wantResult: link.ResolveFound},
		{name: "repository down", repoErr: errBoom, wantErr: errBoom, wantLookup: link.CacheMiss, wantResult: link.ResolveError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, link.Options{})
			p := link.CreateParams{URL: "https://example.org/target"}
			if tt.expiresIn > 0 {
				p.ExpiresAt = ptr(f.now.Add(tt.expiresIn))
			}
			created := f.seed(t, p, tt.cached)
			f.now = f.now.Add(tt.advance)
			f.cache.Err, f.repo.Err = tt.cacheErr, tt.repoErr
			code := tt.code
			if code == "" {
				code = created.Code
			}

			got, err := f.svc.Resolve(t.Context(), code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Resolve() error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && got.URL != p.URL {
				t.Errorf("URL = %q, want %q", got.URL, p.URL)
			}
			if hits := f.hits.Pending(code); hits != tt.wantHits {
				t.Errorf("hits = %d, want %d", hits, tt.wantHits)
			}
			checkRecorded(t, f.recorder, tt.wantLookup, tt.wantResult)
			f.cache.Err = nil
			if _, cached, _ := f.cache.Get(t.Context(), code); cached != tt.wantCached {
				t.Errorf("cached = %v, want %v", cached, tt.wantCached)
			}
		})
	}
}

// seed creates a link from p and leaves it cached when cached is set, else
// evicts it from the cache, as the cache's TTL would.
func (f *fixture) seed(t *testing.T, p link.CreateParams, cached bool) link.Link {
	t.Helper()
	created, err := f.svc.Create(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if cached {
		err = f.cache.Set(t.Context(), created)
	} else {
		err = f.cache.Delete(t.Context(), created.Code)
	}
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// checkRecorded checks that one Resolve recorded result and, unless lookup is
// empty, one cache lookup with that result.
func checkRecorded(t *testing.T, r *linktest.Recorder, lookup, result string) {
	t.Helper()
	lookups, resolved := r.Counts()
	if want := map[string]int{result: 1}; fmt.Sprint(resolved) != fmt.Sprint(want) {
		t.Errorf("recorded results = %v, want %v", resolved, want)
	}
	wantLookups := map[string]int{}
	if lookup != "" {
		wantLookups[lookup] = 1
	}
	if fmt.Sprint(lookups) != fmt.Sprint(wantLookups) {
		t.Errorf("recorded cache lookups = %v, want %v", lookups, wantLookups)
	}
}

func TestServiceGetIncludesPendingHits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, link.Options{})
	created, err := f.svc.Create(t.Context(), link.CreateParams{URL: "https://example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.repo.AddHits(t.Context(), map[string]int64{created.Code: 3}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := f.svc.Resolve(t.Context(), created.Code); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.svc.Get(t.Context(), created.Code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hits != 5 {
		t.Errorf("Hits = %d, want 5 (3 stored + 2 pending)", got.Hits)
	}
	if _, err := f.svc.Get(t.Context(), "missing"); !errors.Is(err, link.ErrNotFound) {
		t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
	}
}

func TestServiceDelete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		code     string
		cacheErr error
		wantErr  error
	}{
		{name: "existing", code: "delete-me"},
		{name: "cache down still deletes", code: "delete-me", cacheErr: errBoom},
		{name: "unknown", code: "missing", wantErr: link.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, link.Options{})
			if _, err := f.svc.Create(t.Context(), link.CreateParams{URL: "https://example.org", Alias: "delete-me"}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Resolve(t.Context(), "delete-me"); err != nil { // primes the cache
				t.Fatal(err)
			}
			f.cache.Err = tt.cacheErr
			if err := f.svc.Delete(t.Context(), tt.code); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Delete() error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if _, err := f.repo.Get(t.Context(), tt.code); !errors.Is(err, link.ErrNotFound) {
				t.Errorf("repository still has %q: %v", tt.code, err)
			}
			f.cache.Err = nil
			if _, cached, _ := f.cache.Get(t.Context(), tt.code); cached == (tt.cacheErr == nil) {
				t.Errorf("cached = %v after delete with cache error %v", cached, tt.cacheErr)
			}
		})
	}
}

func TestServiceList(t *testing.T) {
	t.Parallel()
	f := newFixture(t, link.Options{})
	const total = 7
	for i := range total {
		if _, err := f.svc.Create(t.Context(), link.CreateParams{URL: fmt.Sprintf("https://example.org/%d", i)}); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name      string
		limit     int
		wantPages []int
	}{
		{name: "pages of 3", limit: 3, wantPages: []int{3, 3, 1}},
		{name: "exact fit", limit: 7, wantPages: []int{7}},
		{name: "one page", limit: 100, wantPages: []int{7}},
		{name: "pages of 1", limit: 1, wantPages: []int{1, 1, 1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				cursor string
				sizes  []int
				lastID int64
			)
			for {
				page, err := f.svc.List(t.Context(), cursor, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(page.Links))
				for _, l := range page.Links {
					if lastID != 0 && l.ID >= lastID {
						t.Fatalf("links not newest first: id %d after %d", l.ID, lastID)
					}
					lastID = l.ID
				}
				if page.NextCursor == "" {
					break
				}
				if len(sizes) > total {
					t.Fatal("pagination does not terminate")
				}
				cursor = page.NextCursor
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tt.wantPages) {
				t.Errorf("page sizes = %v, want %v", sizes, tt.wantPages)
			}
		})
	}
}

func TestServiceListInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cursor  string
		limit   int
		wantErr error
	}{
		{name: "limit zero", limit: 0, wantErr: link.ErrInvalidLimit},
		{name: "limit too big", limit: link.MaxPageSize + 1, wantErr: link.ErrInvalidLimit},
		{name: "cursor not base64", cursor: "!!!", limit: 10, wantErr: link.ErrInvalidCursor},
		{name: "cursor not a number", cursor: "YWJj", limit: 10, wantErr: link.ErrInvalidCursor},
		{name: "cursor negative", cursor: "LTE", limit: 10, wantErr: link.ErrInvalidCursor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, link.Options{})
			_, err := f.svc.List(t.Context(), tt.cursor, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("List() error = %v, want %v", err, tt.wantErr)
			}
			if !link.IsInvalidInput(err) {
				t.Errorf("IsInvalidInput(%v) = false", err)
			}
		})
	}
}
