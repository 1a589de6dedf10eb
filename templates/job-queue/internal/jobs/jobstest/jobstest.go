// Package jobstest provides in-memory implementations of the ports in package jobs, for tests.
package jobstest

import (
	"context"
	"sync"
	"time"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Store is an in-memory jobs.Store with revisions, as the real one compares and sets them. Set
// Err to make every call fail.
type Store struct {
	mu       sync.Mutex
	records  map[string]jobs.Record
	revision uint64
	Err      error
	// FailWrite, if set, is called by Create and Update; a non-nil result makes the write fail.
	FailWrite func(jobs.Record) error
	// Now is the store's clock, for StoredAt; time.Now if nil.
	Now func() time.Time
}

// NewStore returns an empty Store.
func NewStore() *Store { return &Store{records: make(map[string]jobs.Record)} }

// Create implements jobs.Store.
func (s *Store) Create(_ context.Context, r jobs.Record) (jobs.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail(r); err != nil {
		return jobs.Record{}, err
	}
	if _, ok := s.records[r.ID]; ok {
		return jobs.Record{}, jobs.ErrExists
	}
	return s.store(r), nil
}

// Get implements jobs.Store.
func (s *Store) Get(_ context.Context, id string) (jobs.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return jobs.Record{}, s.Err
	}
	r, ok := s.records[id]
	if !ok {
		return jobs.Record{}, jobs.ErrNotFound
	}
	return r, nil
}

// Update implements jobs.Store.
func (s *Store) Update(_ context.Context, r jobs.Record) (jobs.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail(r); err != nil {
		return jobs.Record{}, err
	}
	if cur, ok := s.records[r.ID]; !ok || cur.Revision != r.Revision {
		return jobs.Record{}, jobs.ErrStale
	}
	return s.store(r), nil
}

// Set stores r whatever is there, as another writer would: for tests that stage a record.
func (s *Store) Set(r jobs.Record) jobs.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store(r)
}

func (s *Store) fail(r jobs.Record) error {
	if s.Err != nil {
		return s.Err
	}
	if s.FailWrite != nil {
		return s.FailWrite(r)
	}
	return nil
}

func (s *Store) store(r jobs.Record) jobs.Record {
	s.revision++
	r.Revision = s.revision
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	r.StoredAt = now()
	s.records[r.ID] = r
	return r
}

// Len returns the number of records.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// Publisher records published envelopes, reports repeats of an ID as duplicates, and keeps the
// first envelope of each ID queued until Take removes it.
type Publisher struct {
	mu     sync.Mutex
	sent   []jobs.Envelope
	queued map[string]jobs.Envelope
	seen   map[string]bool
	Err    error
}

// Publish implements jobs.Publisher.
func (p *Publisher) Publish(_ context.Context, env jobs.Envelope) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Err != nil {
		return false, p.Err
	}
	if p.seen == nil {
		p.seen, p.queued = make(map[string]bool), make(map[string]jobs.Envelope)
	}
	p.sent = append(p.sent, env)
	dup := p.seen[env.ID]
	if !dup {
		p.seen[env.ID] = true
		p.queued[env.ID] = env
	}
	return dup, nil
}

// PublishAll implements jobs.Publisher.
func (p *Publisher) PublishAll(ctx context.Context, envs []jobs.Envelope) []error {
	errs := make([]error, len(envs))
	for i, env := range envs {
		_, errs[i] = p.Publish(ctx, env)
	}
	return errs
}

// Queued implements jobs.Publisher.
func (p *Publisher) Queued(_ context.Context, id string) (jobs.Envelope, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Err != nil {
		return jobs.Envelope{}, p.Err
	}
	env, ok := p.queued[id]
	if !ok {
		return jobs.Envelope{}, jobs.ErrNotFound
	}
	return env, nil
}

// Take removes job id from the queue, as a worker settling it would.
func (p *Publisher) Take(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.queued, id)
}

// Sent returns the envelopes published so far, duplicates included.
func (p *Publisher) Sent() []jobs.Envelope {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]jobs.Envelope(nil), p.sent...)
}

// Settlement is how a Delivery was settled.
type Settlement string

// Settlements.
const (
	Unsettled Settlement = ""
	Acked     Settlement = "ack"
	Retried   Settlement = "retry"
	Termed    Settlement = "term"
)

// Delivery is a jobs.Delivery that records how it was settled.
type Delivery struct {
	Body []byte
	N    int

	mu         sync.Mutex
	settlement Settlement
	delay      time.Duration
	settles    int
	heartbeats int
}

// Data implements jobs.Delivery.
func (d *Delivery) Data() []byte { return d.Body }

// Attempt implements jobs.Delivery.
func (d *Delivery) Attempt() int { return d.N }

// Ack implements jobs.Delivery.
func (d *Delivery) Ack() error { d.settle(Acked, 0); return nil }

// Retry implements jobs.Delivery.
func (d *Delivery) Retry(delay time.Duration) error { d.settle(Retried, delay); return nil }

// Term implements jobs.Delivery.
func (d *Delivery) Term() error { d.settle(Termed, 0); return nil }

// InProgress implements jobs.Delivery.
func (d *Delivery) InProgress() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.heartbeats++
	return nil
}

func (d *Delivery) settle(s Settlement, delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.settlement, d.delay = s, delay
	d.settles++
}

// Settled returns how the delivery was settled, the retry delay, and how many times it was
// settled (more than once is a bug).
func (d *Delivery) Settled() (s Settlement, delay time.Duration, count int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.settlement, d.delay, d.settles
}

// Heartbeats returns the number of InProgress calls.
func (d *Delivery) Heartbeats() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.heartbeats
}

// DeadLetterer records dead letters.
type DeadLetterer struct {
	mu      sync.Mutex
	letters []jobs.DeadLetter
	Err     error
}

// DeadLetter implements jobs.DeadLetterer.
func (d *DeadLetterer) DeadLetter(_ context.Context, dl jobs.DeadLetter) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Err != nil {
		return d.Err
	}
	d.letters = append(d.letters, dl)
	return nil
}

// Letters returns the dead letters so far.
func (d *DeadLetterer) Letters() []jobs.DeadLetter {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]jobs.DeadLetter(nil), d.letters...)
}
