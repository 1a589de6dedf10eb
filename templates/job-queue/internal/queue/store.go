package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Store keeps job records in a JetStream key-value bucket. It implements jobs.Store.
type Store struct {
	kv jetstream.KeyValue
}

// OpenStore opens the records bucket, which EnsureStreams must have created.
func OpenStore(ctx context.Context, js jetstream.JetStream, n Names) (*Store, error) {
	kv, err := js.KeyValue(ctx, n.Bucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", n.Bucket, err)
	}
	return &Store{kv: kv}, nil
}

// Create implements jobs.Store.
func (s *Store) Create(ctx context.Context, r jobs.Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode record %s: %w", r.ID, err)
	}
	if _, err := s.kv.Create(ctx, r.ID, data); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return jobs.ErrExists
		}
		return fmt.Errorf("create record %s: %w", r.ID, err)
	}
	return nil
}

// Get implements jobs.Store.
func (s *Store) Get(ctx context.Context, id string) (jobs.Record, error) {
	entry, err := s.kv.Get(ctx, id)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
			return jobs.Record{}, jobs.ErrNotFound
		}
		return jobs.Record{}, fmt.Errorf("get record %s: %w", id, err)
	}
	var r jobs.Record
	if err := json.Unmarshal(entry.Value(), &r); err != nil {
		return jobs.Record{}, fmt.Errorf("decode record %s: %w", id, err)
	}
	return r, nil
}

// Put implements jobs.Store.
func (s *Store) Put(ctx context.Context, r jobs.Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode record %s: %w", r.ID, err)
	}
	if _, err := s.kv.Put(ctx, r.ID, data); err != nil {
		return fmt.Errorf("put record %s: %w", r.ID, err)
	}
	return nil
}

// Delete implements jobs.Store.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := s.kv.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete record %s: %w", id, err)
	}
	return nil
}
