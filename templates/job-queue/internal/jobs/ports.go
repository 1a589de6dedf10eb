package jobs

import (
	"context"
	"time"
)

// Store keeps job records.
type Store interface {
	// Create stores a new record; it returns ErrExists if the ID is taken.
	Create(ctx context.Context, r Record) error
	// Get returns the record with the given ID, or ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)
	// Put stores r, replacing any record with the same ID.
	Put(ctx context.Context, r Record) error
	// Delete removes the record with the given ID; deleting a missing record is not an error.
	Delete(ctx context.Context, id string) error
}

// Publisher puts envelopes on the queue.
type Publisher interface {
	// Publish queues env. Publishing the same env.ID again within the queue's duplicate window is
	// a no-op, reported by duplicate.
	Publish(ctx context.Context, env Envelope) (duplicate bool, err error)
}

// Delivery is one delivery of a queued message to a worker.
type Delivery interface {
	// Data is the message body, an encoded Envelope.
	Data() []byte
	// Attempt is the 1-based number of times the queue has delivered this message.
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
