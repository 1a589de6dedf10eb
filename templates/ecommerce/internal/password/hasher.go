package password

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// MaxLength is the longest password, in characters, that a Hasher hashes or verifies. Longer
// ones are refused before any work: argon2id's cost does not grow with the length, but a
// megabyte "password" still has to be read and copied, and no person types one.
const MaxLength = 128

// Defaults of HasherOptions.
const (
	DefaultConcurrency = 4
	DefaultWait        = time.Second
)

var (
	// ErrBusy means every hash slot stayed taken for as long as the caller may wait: the
	// caller answers "try again later" (HTTP 429).
	ErrBusy = errors.New("password: too many password checks at once, try again later")
	// ErrTooLong means the password has more than MaxLength characters; nothing was hashed.
	ErrTooLong = fmt.Errorf("password: longer than %d characters", MaxLength)
)

// HasherOptions configure a Hasher.
type HasherOptions struct {
	Params Params
	// Concurrency bounds the hashes computed at once: each takes Params.MemoryKiB of memory, so
	// unbounded logins at once would exhaust it. 0 means DefaultConcurrency.
	Concurrency int
	// Wait is how long a hash waits for a free slot before ErrBusy (less if its context ends
	// first). 0 means DefaultWait.
	Wait time.Duration
}

// Hasher hashes and verifies passwords with at most Concurrency argon2id computations at once.
type Hasher struct {
	params Params
	slots  chan struct{}
	wait   time.Duration
	// hash and verify are Hash and Verify (tests pace them).
	hash   func(pw string, p Params) (string, error)
	verify func(pw, hash string) error
}

// NewHasher returns a Hasher.
func NewHasher(opts HasherOptions) (*Hasher, error) {
	if err := opts.Params.Validate(); err != nil {
		return nil, err
	}
	if opts.Concurrency < 0 || opts.Wait < 0 {
		return nil, errors.New("password: Concurrency and Wait must not be negative")
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Wait == 0 {
		opts.Wait = DefaultWait
	}
	return &Hasher{params: opts.Params, slots: make(chan struct{}, opts.Concurrency), wait: opts.Wait,
		hash: Hash, verify: Verify}, nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the PHC string of pw once a slot is free: ErrTooLong, ErrBusy, or Hash's errors.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if utf8.RuneCountInString(pw) > MaxLength {
		return "", ErrTooLong
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return h.hash(pw, h.params)
}

// Verify checks pw against hash once a slot is free: nil, ErrMismatch, ErrTooLong (checked
// first, without hashing), ErrBusy, or an error wrapping ErrMalformedHash.
func (h *Hasher) Verify(ctx context.Context, pw, hash string) error {
	if utf8.RuneCountInString(pw) > MaxLength {
		return ErrTooLong
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return h.verify(pw, hash)
}

// acquire waits for a slot, at most h.wait and no longer than ctx lives.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	default:
	}
	timer := time.NewTimer(h.wait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-timer.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, fmt.Errorf("%w (%w)", ErrBusy, context.Cause(ctx))
	}
}
