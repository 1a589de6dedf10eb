// Package authpg is auth.Store on PostgreSQL (pgx).
package authpg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/gopher-template/chat/internal/auth"
	"example.com/gopher-template/chat/internal/pgdb"
)

// Store is auth.Store on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ auth.Store = (*Store)(nil)

// New returns a Store on pool, whose database has the auth schema applied.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4)`,
		u.ID, u.Username, u.PasswordHash, u.CreatedAt)
	if pgdb.IsCode(err, pgdb.UniqueViolation) {
		return auth.ErrUsernameTaken
	}
	if err != nil {
		return fmt.Errorf("authpg: create user: %w", err)
	}
	return nil
}

func (s *Store) UserByUsername(ctx context.Context, username string) (auth.User, error) {
	return s.user(ctx, `SELECT id::text, username, password_hash, created_at FROM users WHERE username = $1`, username)
}

func (s *Store) UserByID(ctx context.Context, id string) (auth.User, error) {
	return s.user(ctx, `SELECT id::text, username, password_hash, created_at FROM users WHERE id = $1`, id)
}

func (s *Store) user(ctx context.Context, query, arg string) (auth.User, error) {
	var u auth.User
	err := s.pool.QueryRow(ctx, query, arg).Scan(&u.ID, &u.Username, &u.PasswordHash, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.User{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("authpg: user: %w", err)
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return u, nil
}

func (s *Store) CreateRefreshToken(ctx context.Context, t auth.RefreshToken) error {
	if err := createRefreshToken(ctx, s.pool, t); err != nil {
		return fmt.Errorf("authpg: create refresh token: %w", err)
	}
	return nil
}

// UseRefreshToken locks the row (SELECT ... FOR UPDATE), so that a concurrent call waits and
// then reads the used_at this one wrote.
func (s *Store) UseRefreshToken(ctx context.Context, hash []byte, now time.Time) (auth.RefreshToken, error) {
	var t auth.RefreshToken
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		t, err = useRefreshToken(ctx, tx, hash, now)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.RefreshToken{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.RefreshToken{}, fmt.Errorf("authpg: use refresh token: %w", err)
	}
	return t, nil
}

// RotateRefreshToken marks the token used and inserts its successor in one transaction, which
// holds the token's row lock until it commits: see RevokeFamily.
func (s *Store) RotateRefreshToken(ctx context.Context, hash []byte, now time.Time, next auth.RefreshToken) (auth.RefreshToken, error) {
	var t auth.RefreshToken
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if t, err = useRefreshToken(ctx, tx, hash, now); err != nil || !t.Usable(now) {
			return err
		}
		next.FamilyID, next.UserID = t.FamilyID, t.UserID
		return createRefreshToken(ctx, tx, next)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.RefreshToken{}, auth.ErrNotFound
	}
	if err != nil {
		return auth.RefreshToken{}, fmt.Errorf("authpg: rotate refresh token: %w", err)
	}
	return t, nil
}

// RevokeFamily locks the family's rows first. A rotation in flight holds its token's row, so
// that lock waits until the rotation commits; the UPDATE, a statement of its own, then reads a
// snapshot taken after that commit, which has the successor the rotation inserted. (One UPDATE
// alone would wait as well, but go on with its older snapshot, without the successor.) A
// rotation that comes after the lock waits for this transaction and finds its token revoked.
func (s *Store) RevokeFamily(ctx context.Context, familyID string, now time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM refresh_tokens WHERE family_id = $1 ORDER BY id FOR UPDATE`, familyID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, familyID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("authpg: revoke family: %w", err)
	}
	return nil
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func createRefreshToken(ctx context.Context, db execer, t auth.RefreshToken) error {
	_, err := db.Exec(ctx,
		`INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.FamilyID, t.UserID, t.Hash, t.CreatedAt, t.ExpiresAt)
	return err
}

// useRefreshToken reads the token with the hash, locking its row until tx ends, and marks it
// used at now unless it was; it returns the token as it was (pgx.ErrNoRows if there is none).
func useRefreshToken(ctx context.Context, tx pgx.Tx, hash []byte, now time.Time) (auth.RefreshToken, error) {
	var t auth.RefreshToken
	var used, revoked pgtype.Timestamptz
	err := tx.QueryRow(ctx,
		`SELECT id::text, family_id::text, user_id::text, token_hash, created_at, expires_at, used_at, revoked_at
		   FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, hash).
		Scan(&t.ID, &t.FamilyID, &t.UserID, &t.Hash, &t.CreatedAt, &t.ExpiresAt, &used, &revoked)
	if err != nil {
		return auth.RefreshToken{}, err
	}
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	t.UsedAt, t.RevokedAt = timeOf(used), timeOf(revoked)
	if !t.UsedAt.IsZero() {
		return t, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE id = $1`, t.ID, now); err != nil {
		return auth.RefreshToken{}, err
	}
	return t, nil
}

func timeOf(ts pgtype.Timestamptz) time.Time {
	if !ts.Valid {
		return time.Time{}
	}
	return ts.Time.UTC()
}
