// Package chatpg is chat.Store on PostgreSQL (pgx).
package chatpg

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/pgdb"
)

// Store is chat.Store on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ chat.Store = (*Store)(nil)

// New returns a Store on pool, whose database has the chat schema applied.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

func (s *Store) CreateRoom(ctx context.Context, r chat.Room) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO rooms (id, name, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			r.ID, r.Name, r.CreatedBy, r.CreatedAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO room_members (room_id, user_id, joined_at) VALUES ($1, $2, $3)`, r.ID, r.CreatedBy, r.CreatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("chatpg: create room: %w", err)
	}
	return nil
}

func (s *Store) AddMember(ctx context.Context, roomID, userID string, now time.Time) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO room_members (room_id, user_id, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, roomID, userID, now)
	if pgdb.IsCode(err, pgdb.ForeignKeyViolation) {
		return chat.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("chatpg: add member: %w", err)
	}
	return nil
}

func (s *Store) RemoveMember(ctx context.Context, roomID, userID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM room_members WHERE room_id = $1 AND user_id = $2`, roomID, userID); err != nil {
		return fmt.Errorf("chatpg: remove member: %w", err)
	}
	return nil
}

func (s *Store) IsMember(ctx context.Context, roomID, userID string) (bool, error) {
	var exists, member bool
	err := s.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM rooms WHERE id = $1),
		        EXISTS (SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2)`, roomID, userID).Scan(&exists, &member)
	if err != nil {
		return false, fmt.Errorf("chatpg: membership: %w", err)
	}
	if !exists {
		return false, chat.ErrNotFound
	}
	return member, nil
}

func (s *Store) ListRooms(ctx context.Context, afterID string, limit int) ([]chat.Room, error) {
	var rows pgx.Rows
	var err error
	if afterID == "" {
		rows, err = s.pool.Query(ctx, `SELECT id::text, name, created_by::text, created_at FROM rooms ORDER BY id LIMIT $1`, limit)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT id::text, name, created_by::text, created_at FROM rooms WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("chatpg: list rooms: %w", err)
	}
	rooms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (chat.Room, error) {
		var r chat.Room
		err := row.Scan(&r.ID, &r.Name, &r.CreatedBy, &r.CreatedAt)
		r.CreatedAt = r.CreatedAt.UTC()
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("chatpg: list rooms: %w", err)
	}
	return rooms, nil
}

func (s *Store) AddMessage(ctx context.Context, m chat.Message) (chat.Message, error) {
	err := s.pool.QueryRow(ctx,
		`INSERT INTO messages (room_id, user_id, username, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		m.RoomID, m.UserID, m.Username, m.Body, m.CreatedAt).Scan(&m.ID)
	if pgdb.IsCode(err, pgdb.ForeignKeyViolation) {
		return chat.Message{}, chat.ErrNotFound
	}
	if err != nil {
		return chat.Message{}, fmt.Errorf("chatpg: add message: %w", err)
	}
	return m, nil
}

func (s *Store) ListMessages(ctx context.Context, roomID string, beforeID int64, limit int) ([]chat.Message, error) {
	const cols = `SELECT id, room_id::text, user_id::text, username, body, created_at FROM messages`
	var rows pgx.Rows
	var err error
	if beforeID == 0 {
		rows, err = s.pool.Query(ctx, cols+` WHERE room_id = $1 ORDER BY id DESC LIMIT $2`, roomID, limit)
	} else {
		rows, err = s.pool.Query(ctx, cols+` WHERE room_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, roomID, beforeID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("chatpg: list messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (chat.Message, error) {
		var m chat.Message
		err := row.Scan(&m.ID, &m.RoomID, &m.UserID, &m.Username, &m.Body, &m.CreatedAt)
		m.CreatedAt = m.CreatedAt.UTC()
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("chatpg: list messages: %w", err)
	}
	return msgs, nil
}
