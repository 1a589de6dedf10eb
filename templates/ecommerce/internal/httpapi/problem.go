package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v5"

	"example.com/gopher-template/plumbing/jsonbody"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
	"example.com/gopher-template/ecommerce/internal/ordering"
)

// The problem types of the API (the document's description lists them). A problem whose status
// says it all is about:blank.
const (
	typeBlank                = "about:blank"
	typeValidation           = "urn:problem-type:validation"
	typeMalformedRequest     = "urn:problem-type:malformed-request"
	typeInsufficientStock    = "urn:problem-type:insufficient-stock"
	typeUnknownProduct       = "urn:problem-type:unknown-product"
	typeIdempotencyConflict  = "urn:problem-type:idempotency-conflict"
	typePreconditionFailed   = "urn:problem-type:precondition-failed"
	typePreconditionRequired = "urn:problem-type:precondition-required"
)

// problem is an error the API answers with an RFC 9457 document.
type problem struct {
	Status    int
	Type      string // empty: about:blank
	Title     string // empty: the status text
	Detail    string
	Errors    []gen.FieldError
	ProductID *uuid.UUID
	// headers are set on the response (WWW-Authenticate, Retry-After).
	headers map[string]string
	// cause is logged, never shown, for a 5xx.
	cause error
}

func (p *problem) Error() string {
	if p.cause != nil {
		return fmt.Sprintf("%d %s: %v", p.Status, p.Detail, p.cause)
	}
	return fmt.Sprintf("%d %s", p.Status, p.Detail)
}

func (p *problem) Unwrap() error { return p.cause }

// handleError is Echo's HTTPErrorHandler: every error, from a handler, a middleware or Echo's
// router (404, 405), is answered as application/problem+json. 5xx are logged with their cause.
func (s *server) handleError(c *echo.Context, err error) {
	if resp, _ := echo.UnwrapResponse(c.Response()); resp != nil && resp.Committed {
		return
	}
	p := s.toProblem(c, err)
	ctx := c.Request().Context()
	if p.Status >= http.StatusInternalServerError {
		s.logger.ErrorContext(ctx, "request failed", slog.Int("status", p.Status), slog.Any("error", err))
	}
	body := gen.Problem{Type: p.Type, Title: p.Title, Status: p.Status, ProductId: p.ProductID}
	if body.Type == "" {
		body.Type = typeBlank
	}
	if body.Title == "" {
		body.Title = http.StatusText(p.Status)
	}
	if p.Detail != "" {
		body.Detail = &p.Detail
	}
	if len(p.Errors) > 0 {
		body.Errors = &p.Errors
	}
	instance := c.Request().URL.EscapedPath()
	body.Instance = &instance
	if id := logging.RequestID(ctx); id != "" {
		body.RequestId = &id
	}
	h := c.Response().Header()
	for k, v := range p.headers {
		h.Set(k, v)
	}
	h.Set(echo.HeaderContentType, echo.MIMEApplicationProblemJSON)
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(p.Status)
	} else {
		werr = c.JSON(p.Status, body)
	}
	if werr != nil {
		s.logger.DebugContext(ctx, "write a problem response", slog.Any("error", werr)) // the client went away
	}
}

// toProblem maps an error to the problem answered for it.
func (s *server) toProblem(c *echo.Context, err error) *problem {
	if p, ok := errors.AsType[*problem](err); ok {
		return p
	}
	if bodyErr, ok := errors.AsType[*jsonbody.Error](err); ok {
		return &problem{Status: bodyErr.Status, Type: typeMalformedRequest, Detail: bodyErr.Message}
	}
	if fields := fieldErrors(err); len(fields) > 0 {
		return &problem{Status: http.StatusUnprocessableEntity, Type: typeValidation,
			Detail: "the request breaks the rules; see errors", Errors: fields}
	}
	if insufficient, ok := errors.AsType[*ordering.InsufficientStockError](err); ok {
		id := insufficient.ProductID
		return &problem{Status: http.StatusConflict, Type: typeInsufficientStock, Title: "Insufficient stock",
			Detail: fmt.Sprintf("not enough stock of product %s", id), ProductID: &id}
	}
	if unknown, ok := errors.AsType[*ordering.UnknownProductError](err); ok {
		id := unknown.ProductID
		return &problem{Status: http.StatusUnprocessableEntity, Type: typeUnknownProduct, Title: "Unknown product",
			Detail: fmt.Sprintf("product %s does not exist", id), ProductID: &id}
	}
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return &problem{Status: http.StatusNotFound, Detail: "no such product"}
	case errors.Is(err, ordering.ErrNotFound):
		return &problem{Status: http.StatusNotFound, Detail: "no such order"}
	case errors.Is(err, catalog.ErrInUse):
		return &problem{Status: http.StatusConflict, Detail: "orders refer to this product: it cannot be deleted (set its stock to 0 instead)"}
	case errors.Is(err, catalog.ErrSKUTaken):
		return &problem{Status: http.StatusConflict, Detail: "a product with this SKU already exists"}
	case errors.Is(err, accounts.ErrEmailTaken):
		return &problem{Status: http.StatusConflict, Detail: "an account with this email already exists"}
	case errors.Is(err, catalog.ErrVersionMismatch):
		return preconditionFailed()
	case errors.Is(err, ordering.ErrIdempotencyConflict):
		return &problem{Status: http.StatusConflict, Type: typeIdempotencyConflict, Title: "Idempotency-Key reused",
			Detail: "this Idempotency-Key was used with other items; use a new key for a new purchase"}
	case errors.Is(err, accounts.ErrInvalidCredentials):
		return unauthorized(`Bearer realm="api"`, "wrong email or password")
	case errors.Is(err, accounts.ErrBusy):
		return &problem{Status: http.StatusTooManyRequests, Detail: "too many sign-ins at once; retry in a second",
			headers: map[string]string{"Retry-After": "1"}}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &problem{Status: http.StatusServiceUnavailable, Detail: "the request took longer than the server allows", cause: err}
	}
	if status := echo.StatusCode(err); status != 0 {
		return s.echoProblem(c, err, status)
	}
	return &problem{Status: http.StatusInternalServerError, Detail: "something failed on the server", cause: err}
}

// echoProblem words an error of Echo's router or of the generated parameter binding.
func (s *server) echoProblem(c *echo.Context, err error, status int) *problem {
	switch status {
	case http.StatusNotFound:
		return &problem{Status: status, Detail: fmt.Sprintf("no route %s %s", c.Request().Method, c.Request().URL.EscapedPath())}
	case http.StatusMethodNotAllowed:
		return &problem{Status: status, Detail: fmt.Sprintf("%s is not allowed here; see the Allow header", c.Request().Method)}
	}
	var httpErr *echo.HTTPError
	if !errors.As(err, &httpErr) || httpErr.Message == "" {
		return &problem{Status: status, cause: err}
	}
	// The generated wrapper says "Invalid format for parameter limit: <a Go error>": name the
	// parameter and what it must be, from the document, and leave the Go error out.
	if rest, ok := strings.CutPrefix(httpErr.Message, "Invalid format for parameter "); ok {
		name, _, _ := strings.Cut(rest, ":")
		must := s.params[routeKey(c.Request().Method, c.Path())][name]
		if must == "" {
			must = "has the wrong format"
		}
		return &problem{Status: http.StatusBadRequest, Type: typeValidation, Detail: "a parameter has the wrong format; see errors",
			Errors: []gen.FieldError{{Field: name, Detail: must}}}
	}
	return &problem{Status: status, Detail: httpErr.Message}
}

func preconditionFailed() *problem {
	return &problem{Status: http.StatusPreconditionFailed, Type: typePreconditionFailed,
		Detail: "the product changed since it was read: read it again (its ETag) and retry"}
}

// invalidField is a domain package's *FieldError: a request field and the rule it breaks.
type invalidField interface {
	error
	Invalid() (field, reason string)
}

// fieldErrors collects every invalidField in err's tree (errors.Join keeps them all).
func fieldErrors(err error) []gen.FieldError {
	var out []gen.FieldError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) { //nolint:errorlint // walks the tree itself, to find every field error and not only the first
		case nil:
		case invalidField:
			field, reason := e.Invalid()
			out = append(out, gen.FieldError{Field: field, Detail: reason})
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// paramProblem is a 400 for parameters that break the rules, if err holds field errors; else it
// returns err as it is.
func paramProblem(err error) error {
	if fields := fieldErrors(err); len(fields) > 0 {
		return &problem{Status: http.StatusBadRequest, Type: typeValidation, Detail: "parameters break the rules; see errors", Errors: fields}
	}
	return err
}
