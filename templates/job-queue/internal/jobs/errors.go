package jobs

import "errors"

var (
	// ErrNotFound means no job has the given ID.
	ErrNotFound = errors.New("job not found")
	// ErrExists means a job with the given ID already exists.
	ErrExists = errors.New("job already exists")
	// ErrInvalid marks a request that can never succeed as sent.
	ErrInvalid = errors.New("invalid job")
	// ErrConflict means an idempotency key was reused for a different job (another type or
	// payload).
	ErrConflict = errors.New("idempotency key reused for a different job")
	// ErrStale means a record changed since it was read: a compare-and-set lost.
	ErrStale = errors.New("job record changed since it was read")
	// ErrUnknownType means no handler is registered for a job's type.
	ErrUnknownType = errors.New("no handler for job type")
)

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that the worker dead-letters the job at once instead of retrying it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
