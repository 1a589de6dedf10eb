// Package exitcode maps errors to the documented process exit codes. It is the only place
// that knows them; the README's table mirrors the constants below.
package exitcode

import (
	"errors"
	"net/http"

	"example.com/gopher-template/cli/internal/api"
)

// Exit codes.
const (
	OK       = 0 // success
	General  = 1 // any other error, including 5xx and 4xx not listed below
	Usage    = 2 // bad command line: unknown command or flag, wrong arguments, invalid value
	NotFound = 3 // the API answered 404
	Network  = 4 // no answer: endpoint unreachable, connection failed, timeout
	Auth     = 5 // the API answered 401 or 403
)

// UsageError marks an error in how the command was invoked.
type UsageError struct {
	Err error
}

func (e *UsageError) Error() string { return e.Err.Error() }

func (e *UsageError) Unwrap() error { return e.Err }

// NewUsageError wraps err as a UsageError (nil stays nil).
func NewUsageError(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// From returns the exit code for err.
func From(err error) int {
	if err == nil {
		return OK
	}
	var usageErr *UsageError
	if errors.As(err, &usageErr) {
		return Usage
	}
	var netErr *api.NetworkError
	if errors.As(err, &netErr) {
		return Network
	}
	var statusErr *api.StatusError
	if errors.As(err, &statusErr) {
		switch statusErr.StatusCode {
		case http.StatusNotFound:
			return NotFound
		case http.StatusUnauthorized, http.StatusForbidden:
			return Auth
		}
	}
	return General
}

// Meaning is one documented exit code.
type Meaning struct {
	Code        int
	Description string
}

// Table lists every exit code with its meaning, for help texts.
func Table() []Meaning {
	return []Meaning{
		{OK, "success"},
		{General, "general error, including server errors (5xx) and other API errors"},
		{Usage, "usage error: unknown command or flag, wrong arguments, invalid setting"},
		{NotFound, "not found (404)"},
		{Network, "network error: endpoint unreachable, connection failed or timed out"},
		{Auth, "authentication error (401 or 403)"},
	}
}
