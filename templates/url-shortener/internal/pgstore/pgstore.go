// Package pgstore implements link.Repository on PostgreSQL with GORM and
// the pgx driver.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/trace"
	gormpostgres "gorm.io/driver/postgres"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"example.com/gopher-template/url-shortener/internal/link"
)

// uniqueViolation is PostgreSQL's SQLSTATE for a unique constraint failure.
const uniqueViolation = "23505"

// connMaxIdleTime closes pooled connections unused for that long.
const connMaxIdleTime = 5 * time.Minute

// Options say where the database is and how large the connection pool is.
type Options struct {
	// URL is a postgres:// URL or a key=value DSN.
	URL string
	// MaxOpenConns bounds the connections in use or idle; 0 is unlimited.
	MaxOpenConns int
	// MaxIdleConns bounds the idle connections kept; 0 keeps none.
	MaxIdleConns int
	// ConnMaxLifetime recycles connections that old; 0 never does.
	ConnMaxLifetime time.Duration
	// TracerProvider, when not nil, makes a span of every statement run in
	// the context of a recording span (otelpgx), GORM's included.
	TracerProvider trace.TracerProvider
}

// Open connects to the database and checks that it is reachable. GORM runs
// its SQL on a database/sql pool of pgx connections, which carry the tracer.
func Open(ctx context.Context, logger *slog.Logger, opts Options) (*gorm.DB, error) {
	connConfig, err := pgx.ParseConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse URL: %w", err)
	}
	if opts.TracerProvider != nil {
		connConfig.Tracer = otelpgx.NewTracer(otelpgx.WithTracerProvider(opts.TracerProvider))
	}
	pool := stdlib.OpenDB(*connConfig)
	db, err := gorm.Open(gormpostgres.New(gormpostgres.Config{Conn: pool}), &gorm.Config{
		Logger: gormlogger.NewSlogLogger(logger, gormlogger.Config{
			SlowThreshold:             200 * time.Millisecond,
			LogLevel:                  gormlogger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true,
		}),
		SkipDefaultTransaction: true,
		// The ping below has a context, and its error a clear wording.
		DisableAutomaticPing: true,
	})
	if err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	pool.SetMaxOpenConns(opts.MaxOpenConns)
	pool.SetMaxIdleConns(opts.MaxIdleConns)
	pool.SetConnMaxLifetime(opts.ConnMaxLifetime)
	pool.SetConnMaxIdleTime(connMaxIdleTime)
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("postgres: %w", explainConnectError(err))
	}
	return db, nil
}

// row is the GORM model of the links table, kept out of the domain.
type row struct {
	ID        int64 `gorm:"primaryKey"`
	Code      string
	URL       string
	CreatedAt time.Time
	ExpiresAt *time.Time
	Hits      int64
}

func (row) TableName() string { return "links" }

func (r row) toLink() link.Link {
	return link.Link{ID: r.ID, Code: r.Code, URL: r.URL, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, Hits: r.Hits}
}

// Repository is a link.Repository backed by PostgreSQL.
type Repository struct {
	db *gorm.DB
}

var _ link.Repository = (*Repository)(nil)

// NewRepository returns a Repository using db.
func NewRepository(db *gorm.DB) *Repository {
	return &Repository{db: db}
}

func (r *Repository) Create(ctx context.Context, l *link.Link) error {
	rec := row{Code: l.Code, URL: l.URL, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt}
	if err := r.db.WithContext(ctx).Create(&rec).Error; err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == uniqueViolation {
			return fmt.Errorf("insert %q: %w", l.Code, link.ErrAliasTaken)
		}
		return fmt.Errorf("insert %q: %w", l.Code, err)
	}
	l.ID = rec.ID
	return nil
}

func (r *Repository) Get(ctx context.Context, code string) (link.Link, error) {
	var rec row
	err := r.db.WithContext(ctx).Where("code = ?", code).Take(&rec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return link.Link{}, link.ErrNotFound
	}
	if err != nil {
		return link.Link{}, fmt.Errorf("select %q: %w", code, err)
	}
	return rec.toLink(), nil
}

func (r *Repository) List(ctx context.Context, beforeID int64, limit int) ([]link.Link, error) {
	q := r.db.WithContext(ctx).Order("id DESC").Limit(limit)
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var recs []row
	if err := q.Find(&recs).Error; err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	links := make([]link.Link, len(recs))
	for i, rec := range recs {
		links[i] = rec.toLink()
	}
	return links, nil
}

func (r *Repository) Delete(ctx context.Context, code string) error {
	res := r.db.WithContext(ctx).Where("code = ?", code).Delete(&row{})
	if res.Error != nil {
		return fmt.Errorf("delete %q: %w", code, res.Error)
	}
	if res.RowsAffected == 0 {
		return link.ErrNotFound
	}
	return nil
}

// addHits adds to the hits of every code in $1 the count at the same index of
// $2, in one statement.
const addHitsSQL = `UPDATE links SET hits = links.hits + h.n
FROM unnest($1::text[], $2::bigint[]) AS h(code, n)
WHERE links.code = h.code`

// AddHits applies all increments in one statement, one round trip whatever
// the number of codes; codes that no longer exist are skipped. The codes go in
// sorted, so that concurrent flushes from several replicas tend to lock rows
// in the same order; should two deadlock all the same, PostgreSQL fails one,
// whose hits the batcher keeps for its next flush.
func (r *Repository) AddHits(ctx context.Context, hits map[string]int64) error {
	if len(hits) == 0 {
		return nil
	}
	codes := make([]string, 0, len(hits))
	for code := range hits {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	counts := make([]int64, len(codes))
	for i, code := range codes {
		counts[i] = hits[code]
	}
	// Straight to the pgx driver, which sends the slices as PostgreSQL
	// arrays: GORM would expand them into lists of parameters.
	if _, err := r.db.WithContext(ctx).ConnPool.ExecContext(ctx, addHitsSQL, codes, counts); err != nil {
		return fmt.Errorf("add hits to %d codes: %w", len(codes), err)
	}
	return nil
}
