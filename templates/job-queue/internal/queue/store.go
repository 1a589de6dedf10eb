package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Store keeps job records in a JetStream key-value bucket. It implements jobs.Store: Create is
// kv.Create, Update is kv.Update with the record's revision, so that no write overwrites a
// version its writer did not read.
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
func (s *Store) Create(ctx context.Context, r jobs.Record) (jobs.Record, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return jobs.Record{}, fmt.Errorf("encode record %s: %w", r.ID, err)
	}
	rev, err := s.kv.Create(ctx, r.ID, data)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return jobs.Record{}, jobs.ErrExists
		}
		return jobs.Record{}, fmt.Errorf("create record %s: %w", r.ID, err)
	}
	r.Revision = rev
	return r, nil
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
	return decodeRecord(entry)
}

// Update implements jobs.Store.
func (s *Store) Update(ctx context.Context, r jobs.Record) (jobs.Record, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return jobs.Record{}, fmt.Errorf("encode record %s: %w", r.ID, err)
	}
	rev, err := s.kv.Update(ctx, r.ID, data, r.Revision)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return jobs.Record{}, fmt.Errorf("update record %s at revision %d: %w", r.ID, r.Revision, jobs.ErrStale)
		}
		return jobs.Record{}, fmt.Errorf("update record %s: %w", r.ID, err)
	}
	r.Revision = rev
	return r, nil
}

// decodeRecord reads a record from its bucket entry.
func decodeRecord(entry jetstream.KeyValueEntry) (jobs.Record, error) {
	var r jobs.Record
	if err := json.Unmarshal(entry.Value(), &r); err != nil {
		return jobs.Record{}, fmt.Errorf("decode record %s: %w", entry.Key(), err)
	}
	r.Revision, r.StoredAt = entry.Revision(), entry.Created()
	return r, nil
}
