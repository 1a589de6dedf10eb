// Package jobs holds the domain of the queue: what a job is, its lifecycle, the ports the
// adapters implement (Store, Publisher, Delivery) and the enqueue service. It knows nothing about
// HTTP or NATS.
package jobs

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Status is where a job is in its lifecycle.
type Status string

// The statuses a job record goes through:
//
//	queued → running → succeeded
//	                 ↘ failed (will retry) → running → …
//	                 ↘ dead (attempts exhausted or permanent error)
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusDead      Status = "dead"
)

// Terminal reports whether no further attempt will be made.
func (s Status) Terminal() bool { return s == StatusSucceeded || s == StatusDead }

// MaxAttemptsLimit is the largest max_attempts a job may ask for.
const MaxAttemptsLimit = 25

// Record is the status of a job. The worker writes it when it claims the job and after every
// attempt; a job waiting in the queue has no record yet (Service.Get reports it as queued).
type Record struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Status      Status    `json:"status"`
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"max_attempts"`
	LastError   string    `json:"last_error"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`

	// Fingerprint identifies the job's type and payload (see Fingerprint), so that an
	// idempotency key reused for another job is told apart from a repeat.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Holder is the claim of the attempt that wrote the record last: while the status is
	// running, the attempt holding the job.
	Holder string `json:"holder,omitempty"`
	// Lease is how long after StoredAt a running attempt that stopped writing counts as gone.
	// Workers compare it with their own clocks, which must agree with the server's to well
	// within a lease (NTP does).
	Lease time.Duration `json:"lease,omitempty"`

	// Revision and StoredAt are the store's: the version a compare-and-set names, and when that
	// version was written, by the store's clock. Neither is part of the stored value.
	Revision uint64    `json:"-"`
	StoredAt time.Time `json:"-"`
}

// Held reports whether a running attempt still holds the job at time now: its lease has not run
// out since the record was last written.
func (r Record) Held(now time.Time) bool {
	return r.Status == StatusRunning && r.Holder != "" && now.Before(r.StoredAt.Add(r.Lease))
}

// Envelope is the message that travels through the queue.
type Envelope struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Payload     json.RawMessage `json:"payload,omitempty"`
	MaxAttempts int             `json:"max_attempts"`
	EnqueuedAt  time.Time       `json:"enqueued_at"`
}

// DecodeEnvelope parses and validates a queued message.
func DecodeEnvelope(data []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	if env.ID == "" {
		return Envelope{}, errors.New("decode envelope: missing id")
	}
	if err := ValidateType(env.Type); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	if err := ValidateMaxAttempts(env.MaxAttempts); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	return env, nil
}

// ValidateMaxAttempts reports whether n is an acceptable max_attempts: 1 to MaxAttemptsLimit.
func ValidateMaxAttempts(n int) error {
	if n < 1 || n > MaxAttemptsLimit {
		return fmt.Errorf("%w: max_attempts %d is not between 1 and %d", ErrInvalid, n, MaxAttemptsLimit)
	}
	return nil
}

// Fingerprint identifies a job's content: its type and its payload (compacted JSON, as Service
// publishes it). Two requests with one idempotency key are the same job only if their
// fingerprints match.
func Fingerprint(jobType string, payload json.RawMessage) string {
	h := sha256.New()
	h.Write([]byte(jobType))
	h.Write([]byte{0})
	h.Write(payload)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil)[:16])
}

// Job is what a Handler receives.
type Job struct {
	ID      string
	Type    string
	Payload json.RawMessage
	// Attempt is the 1-based delivery attempt, as counted by the queue.
	Attempt     int
	MaxAttempts int
}

// typePattern keeps job types usable as a NATS subject token and a metric label.
var typePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidateType reports whether t is an acceptable job type.
func ValidateType(t string) error {
	if !typePattern.MatchString(t) {
		return fmt.Errorf("%w: type %q must match %s", ErrInvalid, t, typePattern)
	}
	return nil
}

// NewID returns a random job ID: 26 base32 characters, valid as a NATS KV key and subject token.
func NewID() string { return rand.Text() }

// IDForKey derives the job ID from an idempotency key, so that retried requests name the same
// job and the queue can drop the duplicate message.
func IDForKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16])
}
