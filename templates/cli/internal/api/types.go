// Package api is a client for the link-shortener HTTP API (/api/v1).
package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Link is a short link as returned by the API.
type Link struct {
	Code      string     `json:"code"       yaml:"code"`
	URL       string     `json:"url"        yaml:"url"`
	ShortURL  string     `json:"short_url"  yaml:"short_url"`
	CreatedAt time.Time  `json:"created_at" yaml:"created_at"`
	ExpiresAt *time.Time `json:"expires_at" yaml:"expires_at"`
	Hits      int64      `json:"hits"       yaml:"hits"`
}

// CreateLinkRequest is the body of POST /api/v1/links.
type CreateLinkRequest struct {
	URL       string     `json:"url"`
	Alias     string     `json:"alias,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Page is one page of GET /api/v1/links. NextCursor is empty on the last page.
type Page struct {
	Links      []Link `json:"links"       yaml:"links"`
	NextCursor string `json:"next_cursor" yaml:"next_cursor"`
}

// MaxPageSize is the largest page the API serves.
const MaxPageSize = 100

// StatusError is returned when the API answers with a status other than the expected one.
type StatusError struct {
	Method     string
	Path       string
	StatusCode int
	// Message is the "error" field of the JSON error body, or a snippet of a non-JSON body.
	Message string
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), msg)
}

// NetworkError is returned when no HTTP response was received: the endpoint could not be
// reached, the connection failed, or the operation timed out.
type NetworkError struct {
	Err error
}

func (e *NetworkError) Error() string { return "network error: " + e.Err.Error() }

func (e *NetworkError) Unwrap() error { return e.Err }

// ErrPaginationLoop is returned when the server hands back a cursor it already returned.
var ErrPaginationLoop = errors.New("api: server returned a repeated cursor")
