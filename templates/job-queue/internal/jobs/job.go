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

// Record is the status of a job as clients see it.
type Record struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Status      Status    `json:"status"`
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"max_attempts"`
	LastError   string    `json:"last_error"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
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
	if env.MaxAttempts < 1 || env.MaxAttempts > MaxAttemptsLimit {
		return Envelope{}, fmt.Errorf("decode envelope: max_attempts %d outside [1, %d]", env.MaxAttempts, MaxAttemptsLimit)
	}
	return env, nil
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
