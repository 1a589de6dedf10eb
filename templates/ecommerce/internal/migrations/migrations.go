// Package migrations holds the shop's versioned SQL schema, embedded in the binary and applied
// with goose's Provider API. The SQL is what Ent's schema diff writes for ent/schema (Diff shows
// what is missing), reviewed and committed: nothing migrates the database automatically.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"text/tabwriter"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed sql/*.sql
var embedded embed.FS

// NewProvider returns a goose Provider for the migrations. A PostgreSQL advisory lock
// serialises concurrent runs, so several replicas may migrate at once.
func NewProvider(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(embedded, "sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migrations: session locker: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Up applies every pending migration.
func Up(ctx context.Context, logger *slog.Logger, db *sql.DB) error {
	p, err := NewProvider(db)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		logResult(ctx, logger, r)
	}
	if err != nil {
		return fmt.Errorf("migrations: up: %w", err)
	}
	return nil
}

// Down rolls back the most recent migration.
func Down(ctx context.Context, logger *slog.Logger, db *sql.DB) error {
	p, err := NewProvider(db)
	if err != nil {
		return err
	}
	r, err := p.Down(ctx)
	if r != nil {
		logResult(ctx, logger, r)
	}
	if err != nil {
		return fmt.Errorf("migrations: down: %w", err)
	}
	return nil
}

// DownTo rolls back every migration newer than version; 0 rolls back them all.
func DownTo(ctx context.Context, logger *slog.Logger, db *sql.DB, version int64) error {
	p, err := NewProvider(db)
	if err != nil {
		return err
	}
	results, err := p.DownTo(ctx, version)
	for _, r := range results {
		logResult(ctx, logger, r)
	}
	if err != nil {
		return fmt.Errorf("migrations: down to %d: %w", version, err)
	}
	return nil
}

// Version returns the version of the newest applied migration, 0 when none is.
func Version(ctx context.Context, db *sql.DB) (int64, error) {
	p, err := NewProvider(db)
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: version: %w", err)
	}
	return v, nil
}

// Status writes the state of every migration to w.
func Status(ctx context.Context, db *sql.DB, w io.Writer) error {
	p, err := NewProvider(db)
	if err != nil {
		return err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migrations: status: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED AT\tFILE")
	for _, s := range statuses {
		applied := "-"
		if !s.AppliedAt.IsZero() {
			applied = s.AppliedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, applied, s.Source.Path)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("migrations: status: %w", err)
	}
	return nil
}

func logResult(ctx context.Context, logger *slog.Logger, r *goose.MigrationResult) {
	attrs := []slog.Attr{
		slog.Int64("version", r.Source.Version),
		slog.String("direction", r.Direction),
		slog.Duration("duration", r.Duration),
	}
	if r.Error != nil {
		logger.LogAttrs(ctx, slog.LevelError, "migration failed", append(attrs, slog.Any("error", r.Error))...)
		return
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "migration applied", attrs...)
}
