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
	Type           string
	Payload        json.RawMessage
	IdempotencyKey string
	// MaxAttempts is 1 to MaxAttemptsLimit; 0 stands for the service's default.
	MaxAttempts int
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
	if err := ValidateMaxAttempts(defaultMaxAttempts); err != nil {
		return nil, fmt.Errorf("default max attempts: %w", err)
	}
	return &Service{store: store, publisher: publisher, defaultMaxAttempts: defaultMaxAttempts, now: time.Now}, nil
}

// EnqueueResult says what Enqueue did.
type EnqueueResult struct {
	Record Record
	// Duplicate is true when the idempotency key named a job that already existed.
	Duplicate bool
}

// Enqueue publishes a job: one round trip to the queue. The job has no record until a worker
// claims it; until then Get finds it in the queue and reports it queued.
//
// With an idempotency key the job ID derives from the key. A job that already has that ID, in
// the records or still in the queue, is returned instead if it has the same type and payload,
// and is a conflict (ErrConflict) otherwise. The ID is also the message ID, so the queue drops a
// concurrent repeat within its duplicate window.
func (s *Service) Enqueue(ctx context.Context, req Request) (EnqueueResult, error) {
	env, err := s.envelope(req)
	if err != nil {
		return EnqueueResult{}, err
	}
	if req.IdempotencyKey != "" {
		return s.enqueueKeyed(ctx, env)
	}
	if _, err := s.publisher.Publish(ctx, env); err != nil {
		return EnqueueResult{}, fmt.Errorf("enqueue %s: %w", env.ID, err)
	}
	return EnqueueResult{Record: queuedRecord(env)}, nil
}

// EnqueueBatch enqueues several jobs. It validates all of them first and enqueues none if one
// is invalid (the error names its index). Jobs without an idempotency key are then published
// together, without a round trip each (Publisher.PublishAll); keyed ones one by one, as Enqueue
// does. results[i] and errs[i] are the outcome of reqs[i].
func (s *Service) EnqueueBatch(ctx context.Context, reqs []Request) (results []EnqueueResult, errs []error, err error) {
	envs := make([]Envelope, len(reqs))
	for i, req := range reqs {
		if envs[i], err = s.envelope(req); err != nil {
			return nil, nil, fmt.Errorf("job %d: %w", i, err)
		}
	}
	results, errs = make([]EnqueueResult, len(reqs)), make([]error, len(reqs))
	var plain []Envelope
	var plainIndex []int
	for i, req := range reqs {
		if req.IdempotencyKey != "" {
			results[i], errs[i] = s.enqueueKeyed(ctx, envs[i])
			continue
		}
		plain = append(plain, envs[i])
		plainIndex = append(plainIndex, i)
	}
	if len(plain) == 0 {
		return results, errs, nil
	}
	for j, err := range s.publisher.PublishAll(ctx, plain) {
		i := plainIndex[j]
		if err != nil {
			errs[i] = fmt.Errorf("enqueue %s: %w", envs[i].ID, err)
			continue
		}
		results[i] = EnqueueResult{Record: queuedRecord(envs[i])}
	}
	return results, errs, nil
}

func (s *Service) enqueueKeyed(ctx context.Context, env Envelope) (EnqueueResult, error) {
	existing, err := s.find(ctx, env.ID)
	switch {
	case err == nil:
		return repeat(existing, env)
	case !errors.Is(err, ErrNotFound):
		return EnqueueResult{}, fmt.Errorf("enqueue %s: %w", env.ID, err)
	}

	duplicate, err := s.publisher.Publish(ctx, env)
	if err != nil {
		return EnqueueResult{}, fmt.Errorf("enqueue %s: %w", env.ID, err)
	}
	if !duplicate {
		return EnqueueResult{Record: queuedRecord(env)}, nil
	}
	// A concurrent request with the same key published first: compare with its job.
	existing, err = s.find(ctx, env.ID)
	switch {
	case err == nil:
		return repeat(existing, env)
	case errors.Is(err, ErrNotFound): // gone from the queue and the records: nothing to compare with
		return EnqueueResult{Record: queuedRecord(env), Duplicate: true}, nil
	default:
		return EnqueueResult{}, fmt.Errorf("enqueue %s: %w", env.ID, err)
	}
}

// repeat answers a request whose idempotency key names an existing job.
func repeat(existing Record, env Envelope) (EnqueueResult, error) {
	if existing.Type != env.Type {
		return EnqueueResult{}, fmt.Errorf("enqueue %s: %w: type %q, not %q", env.ID, ErrConflict, existing.Type, env.Type)
	}
	// Records written before fingerprints existed have none: the type is all there is to compare.
	if existing.Fingerprint != "" && existing.Fingerprint != Fingerprint(env.Type, env.Payload) {
		return EnqueueResult{}, fmt.Errorf("enqueue %s: %w: another payload", env.ID, ErrConflict)
	}
	return EnqueueResult{Record: existing, Duplicate: true}, nil
}

// Get returns the job with the given ID, or an error matching ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Record, error) {
	rec, err := s.find(ctx, id)
	if err != nil {
		return Record{}, fmt.Errorf("get job %s: %w", id, err)
	}
	return rec, nil
}

// find returns the job's record or, if no worker has claimed it yet, a queued record made from
// its envelope in the queue. A worker that claims and finishes the job between the two reads
// leaves a record, hence the second read of the store.
func (s *Service) find(ctx context.Context, id string) (Record, error) {
	rec, err := s.store.Get(ctx, id)
	if !errors.Is(err, ErrNotFound) {
		return rec, err
	}
	env, err := s.publisher.Queued(ctx, id)
	if err == nil {
		return queuedRecord(env), nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Record{}, err
	}
	return s.store.Get(ctx, id)
}

// queuedRecord is the record of a job that waits in the queue.
func queuedRecord(env Envelope) Record {
	return Record{
		ID:          env.ID,
		Type:        env.Type,
		Status:      StatusQueued,
		MaxAttempts: env.MaxAttempts,
		CreatedAt:   env.EnqueuedAt,
		UpdatedAt:   env.EnqueuedAt,
		Fingerprint: Fingerprint(env.Type, env.Payload),
	}
}

// envelope validates req and makes the message that carries it.
func (s *Service) envelope(req Request) (Envelope, error) {
	if err := ValidateType(req.Type); err != nil {
		return Envelope{}, err
	}
	if len(req.IdempotencyKey) > maxIdempotencyKeyLen {
		return Envelope{}, fmt.Errorf("%w: idempotency_key longer than %d bytes", ErrInvalid, maxIdempotencyKeyLen)
	}
	maxAttempts := req.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = s.defaultMaxAttempts
	}
	if err := ValidateMaxAttempts(maxAttempts); err != nil {
		return Envelope{}, err
	}
	payload := json.RawMessage(`{}`)
	if len(req.Payload) > 0 && !bytes.Equal(req.Payload, []byte("null")) {
		// Compacted, so that whitespace does not change the fingerprint.
		var buf bytes.Buffer
		if err := json.Compact(&buf, req.Payload); err != nil {
			return Envelope{}, fmt.Errorf("%w: payload is not valid JSON", ErrInvalid)
		}
		payload = buf.Bytes()
	}
	id := NewID()
	if req.IdempotencyKey != "" {
		id = IDForKey(req.IdempotencyKey)
	}
	return Envelope{ID: id, Type: req.Type, Payload: payload, MaxAttempts: maxAttempts, EnqueuedAt: s.now().UTC()}, nil
}
