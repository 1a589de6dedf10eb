//go:build integration

package pgstore_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/plumbing/testproxy"

	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/migrations"
	"example.com/gopher-template/url-shortener/internal/pgstore"
	"example.com/gopher-template/url-shortener/internal/testenv"
)

func newRepository(t *testing.T) *pgstore.Repository {
	t.Helper()
	return openRepository(t, testenv.Postgres(t))
}

// openRepository migrates the database at url and returns a Repository on it.
func openRepository(t *testing.T, url string) *pgstore.Repository {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	db, err := pgstore.Open(t.Context(), logger, pgstore.Options{URL: url, MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := migrations.Up(t.Context(), logger, sqlDB); err != nil {
		t.Fatal(err)
	}
	return pgstore.NewRepository(db)
}

func TestRepository(t *testing.T) {
	t.Parallel()
	repo := newRepository(t)
	ctx := t.Context()
	created := time.Now().UTC().Truncate(time.Microsecond)
	expires := created.Add(time.Hour)

	l := link.Link{Code: "abc1234", URL: "https://example.org", CreatedAt: created, ExpiresAt: &expires}
	if err := repo.Create(ctx, &l); err != nil {
		t.Fatal(err)
	}
	if l.ID == 0 {
		t.Error("Create did not set ID")
	}

	dup := link.Link{Code: "abc1234", URL: "https://example.com", CreatedAt: created}
	if err := repo.Create(ctx, &dup); !errors.Is(err, link.ErrAliasTaken) {
		t.Fatalf("duplicate Create() error = %v, want ErrAliasTaken", err)
	}

	got, err := repo.Get(ctx, "abc1234")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != l.ID || got.URL != l.URL || !got.CreatedAt.Equal(created) || got.ExpiresAt == nil || !got.ExpiresAt.Equal(expires) {
		t.Errorf("Get() = %+v, want %+v", got, l)
	}
	if _, err := repo.Get(ctx, "missing"); !errors.Is(err, link.ErrNotFound) {
		t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
	}

	if err := repo.AddHits(ctx, map[string]int64{"abc1234": 3, "missing": 2}); err != nil {
		t.Fatal(err)
	}
	if err := repo.AddHits(ctx, map[string]int64{"abc1234": 4}); err != nil {
		t.Fatal(err)
	}
	if got, _ := repo.Get(ctx, "abc1234"); got.Hits != 7 {
		t.Errorf("Hits = %d, want 7", got.Hits)
	}

	if err := repo.Delete(ctx, "abc1234"); err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(ctx, "abc1234"); !errors.Is(err, link.ErrNotFound) {
		t.Errorf("second Delete() error = %v, want ErrNotFound", err)
	}
}

func TestRepositoryList(t *testing.T) {
	t.Parallel()
	repo := newRepository(t)
	ctx := t.Context()
	var ids []int64
	for i := range 5 {
		l := link.Link{Code: fmt.Sprintf("code%03d", i), URL: "https://example.org", CreatedAt: time.Now().UTC()}
		if err := repo.Create(ctx, &l); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}

	tests := []struct {
		name     string
		beforeID int64
		limit    int
		want     []int64
	}{
		{name: "first page", limit: 2, want: []int64{ids[4], ids[3]}},
		{name: "after cursor", beforeID: ids[3], limit: 2, want: []int64{ids[2], ids[1]}},
		{name: "last page", beforeID: ids[1], limit: 2, want: []int64{ids[0]}},
		{name: "past the end", beforeID: ids[0], limit: 2, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links, err := repo.List(ctx, tt.beforeID, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, l := range links {
				got = append(got, l.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("List(%d, %d) ids = %v, want %v", tt.beforeID, tt.limit, got, tt.want)
			}
		})
	}
}

// TestRepositoryAddHitsInOneRoundTrip proves that a flush of hits costs one
// statement whatever the number of codes, rather than one UPDATE per code.
func TestRepositoryAddHitsInOneRoundTrip(t *testing.T) {
	t.Parallel()
	url, proxy := testproxy.ForURL(t, testenv.Postgres(t))
	repo := openRepository(t, url)
	ctx := t.Context()
	const codes = 300
	hits := make(map[string]int64, codes+1)
	for i := range codes {
		l := link.Link{Code: fmt.Sprintf("hit%04d", i), URL: "https://example.org", CreatedAt: time.Now().UTC()}
		if err := repo.Create(ctx, &l); err != nil {
			t.Fatal(err)
		}
		hits[l.Code] = int64(i + 1)
	}
	hits["deleted"] = 5 // a code deleted since its hits were counted is skipped

	before := proxy.Sends()
	if err := repo.AddHits(ctx, hits); err != nil {
		t.Fatal(err)
	}
	// One statement is one or two sends (the pool may check the connection
	// first); an UPDATE per code would be hundreds.
	if sends := proxy.Sends() - before; sends > 3 {
		t.Errorf("AddHits of %d codes took %d round trips to PostgreSQL, want 1", len(hits), sends)
	}
	for _, code := range []string{"hit0000", "hit0123", "hit0299"} {
		got, err := repo.Get(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hits != hits[code] {
			t.Errorf("hits of %s = %d, want %d", code, got.Hits, hits[code])
		}
	}
}

// TestCreateDatabase: the first-time step creates a missing database once;
// before it, Open names the problem and the fix in one sentence.
func TestCreateDatabase(t *testing.T) {
	t.Parallel()
	url, name := testenv.MissingPostgres(t)
	logger := slog.New(slog.DiscardHandler)
	_, err := pgstore.Open(t.Context(), logger, pgstore.Options{URL: url, MaxOpenConns: 1})
	if !errors.Is(err, pgstore.ErrNoDatabase) {
		t.Fatalf("Open of a missing database: %v, want ErrNoDatabase", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `"`+name+`" does not exist`) || !strings.Contains(msg, "make db") || strings.Contains(msg, "%v") {
		t.Errorf("Open of a missing database says %q, want the database named and `make db`", msg)
	}

	for i, wantCreated := range []bool{true, false} {
		got, created, err := pgstore.CreateDatabase(t.Context(), url)
		if err != nil || got != name || created != wantCreated {
			t.Fatalf("CreateDatabase #%d = %q, %v, %v; want %q, %v, nil", i+1, got, created, err, name, wantCreated)
		}
	}
	db, err := pgstore.Open(t.Context(), logger, pgstore.Options{URL: url, MaxOpenConns: 1})
	if err != nil {
		t.Fatalf("Open after CreateDatabase: %v", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlDB.Close(); err != nil {
		t.Fatal(err)
	}
}
