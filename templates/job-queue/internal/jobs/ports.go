package jobs

import (
	"context"
	"time"
)

// Store keeps job records. Every write is a compare-and-set, so that records only move forward:
// a writer that read a record and lost the race to another writer gets ErrStale instead of
// overwriting what it never saw.
type Store interface {
	// Get returns the record with the given ID, with its Revision and StoredAt, or ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)
	// Create stores a new record and returns it with its Revision; ErrExists if the ID is taken.
	Create(ctx context.Context, r Record) (Record, error)
	// Update stores r if the stored record is still at r.Revision, and returns it with its new
	// Revision; ErrStale if the record changed (or is gone).
	Update(ctx context.Context, r Record) (Record, error)
}

// Publisher puts envelopes on the queue, and finds them there while they wait.
type Publisher interface {
	// Publish queues env. Publishing the same env.ID again within the queue's duplicate window is
	// a no-op, reported by duplicate.
	Publish(ctx context.Context, env Envelope) (duplicate bool, err error)
	// PublishAll queues envs without waiting for each acknowledgement in turn, then waits for
	// all of them. errs[i] is the outcome of envs[i].
	PublishAll(ctx context.Context, envs []Envelope) (errs []error)
	// Queued returns the envelope of job id while it is in the queue (waiting, running or waiting
	// for a retry), or ErrNotFound.
	Queued(ctx context.Context, id string) (Envelope, error)
}

// Delivery is one delivery of a queued message to a worker.
type Delivery interface {
	// Data is the message body, an encoded Envelope.
	Data() []byte
	// Attempt is the 1-based number of times the queue has delivered this message. Redeliveries
	// of a job held by a running attempt count too, so the worker counts attempts in the record.
	Attempt() int
	// Ack settles the message as done.
	Ack() error
	// Retry asks for redelivery after delay.
	Retry(delay time.Duration) error
	// Term settles the message as never to be delivered again.
	Term() error
	// InProgress tells the queue the message is still being worked on, postponing redelivery.
	InProgress() error
}

// DeadLetter is a job that will not be attempted again.
type DeadLetter struct {
	// ID and Type may be empty if the message could not be decoded.
	ID        string
	Type      string
	Data      []byte
	Attempts  int
	LastError string
}

// DeadLetterer keeps jobs that exhausted their attempts, with their last error.
type DeadLetterer interface {
	DeadLetter(ctx context.Context, dl DeadLetter) error
}
