package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Request asks for a job to be run.
type Request struct {
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload,omitempty"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	MaxAttempts    int             `json:"max_attempts,omitempty"`
}

// maxIdempotencyKeyLen bounds what clients can make us hash and log.
const maxIdempotencyKeyLen = 256

// Service enqueues jobs and reports their status.
type Service struct {
	store              Store
	publisher          Publisher
	defaultMaxAttempts int
	now                func() time.Time
}

// NewService returns a Service. defaultMaxAttempts applies to requests that do not set
// max_attempts.
func NewService(store Store, publisher Publisher, defaultMaxAttempts int) (*Service, error) {
	if defaultMaxAttempts < 1 || defaultMaxAttempts > MaxAttemptsLimit {
		return nil, fmt.Errorf("default max attempts %d outside [1, %d]", defaultMaxAttempts, MaxAttemptsLimit)
	}
	return &Service{store: store, publisher: publisher, defaultMaxAttempts: defaultMaxAttempts, now: time.Now}, nil
}

// EnqueueResult says what Enqueue did.
type EnqueueResult struct {
	Record Record
	// Duplicate is true when the idempotency key named a job that already existed.
	Duplicate bool
}

// Enqueue records a job as queued and publishes it. A request whose idempotency key names an
// existing job returns that job instead; if it is still queued it is published again, which the
// queue drops as a duplicate unless the first publish never happened.
func (s *Service) Enqueue(ctx context.Context, req Request) (EnqueueResult, error) {
	if err := s.validate(&req); err != nil {
		return EnqueueResult{}, err
	}

	now := s.now().UTC()
	rec := Record{
		ID:          NewID(),
		Type:        req.Type,
		Status:      StatusQueued,
		MaxAttempts: req.MaxAttempts,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if req.IdempotencyKey != "" {
		rec.ID = IDForKey(req.IdempotencyKey)
	}
	env := Envelope{ID: rec.ID, Type: rec.Type, Payload: req.Payload, MaxAttempts: rec.MaxAttempts, EnqueuedAt: now}

	// The record goes first: a worker that picks the message up at once must find it.
	err := s.store.Create(ctx, rec)
	switch {
	case errors.Is(err, ErrExists) && req.IdempotencyKey != "":
		return s.enqueueExisting(ctx, rec.ID, env)
	case err != nil:
		return EnqueueResult{}, fmt.Errorf("enqueue %s: %w", rec.ID, err)
	}

	if _, err := s.publisher.Publish(ctx, env); err != nil {
		// Without its message the record would stay queued forever. Remove it so that the
		// client's retry starts afresh.
		if delErr := s.store.Delete(context.WithoutCancel(ctx), rec.ID); delErr != nil {
			err = errors.Join(err, fmt.Errorf("remove orphaned record: %w", delErr))
		}
		return EnqueueResult{}, fmt.Errorf("enqueue %s: publish: %w", rec.ID, err)
	}
	return EnqueueResult{Record: rec}, nil
}

func (s *Service) enqueueExisting(ctx context.Context, id string, env Envelope) (EnqueueResult, error) {
	existing, err := s.store.Get(ctx, id)
	if err != nil {
		return EnqueueResult{}, fmt.Errorf("enqueue %s: load existing: %w", id, err)
	}
	if existing.Type != env.Type {
		return EnqueueResult{}, fmt.Errorf("enqueue %s: %w (%q, not %q)", id, ErrConflict, existing.Type, env.Type)
	}
	if existing.Status == StatusQueued {
		// Covers a first request that stored the record but died before publishing.
		env.MaxAttempts = existing.MaxAttempts
		env.EnqueuedAt = existing.CreatedAt
		if _, err := s.publisher.Publish(ctx, env); err != nil {
			return EnqueueResult{}, fmt.Errorf("enqueue %s: republish: %w", id, err)
		}
	}
	return EnqueueResult{Record: existing, Duplicate: true}, nil
}

// Get returns the job with the given ID, or an error matching ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Record, error) {
	rec, err := s.store.Get(ctx, id)
	if err != nil {
		return Record{}, fmt.Errorf("get job %s: %w", id, err)
	}
	return rec, nil
}

func (s *Service) validate(req *Request) error {
	if err := ValidateType(req.Type); err != nil {
		return err
	}
	if len(req.IdempotencyKey) > maxIdempotencyKeyLen {
		return fmt.Errorf("%w: idempotency_key longer than %d bytes", ErrInvalid, maxIdempotencyKeyLen)
	}
	switch {
	case req.MaxAttempts == 0:
		req.MaxAttempts = s.defaultMaxAttempts
	case req.MaxAttempts < 1 || req.MaxAttempts > MaxAttemptsLimit:
		return fmt.Errorf("%w: max_attempts must be between 1 and %d", ErrInvalid, MaxAttemptsLimit)
	}
	if len(req.Payload) == 0 || bytes.Equal(req.Payload, []byte("null")) {
		req.Payload = json.RawMessage(`{}`)
	}
	if !json.Valid(req.Payload) {
		return fmt.Errorf("%w: payload is not valid JSON", ErrInvalid)
	}
	return nil
}
