// Package httpapi is the HTTP interface of the shop, built on Echo v5 from the OpenAPI document
// (api/openapi.yaml): the routes, the request types and the parameter binding are generated into
// gen, and this package implements gen.ServerInterface over the use-case services. Echo stays
// inside: New returns a plain http.Handler.
//
// One way for each concern:
//   - Bodies are read by plumbing/jsonbody (application/json only → 415, bounded → 413, one
//     object, unknown fields refused → 400), then checked by go-playground/validator against the
//     `validate` tags the document puts on the generated types (→ 422, errors[] naming each
//     field by its JSON path). Parameters are checked the same way (→ 400).
//   - Every error, Echo's own 404 and 405 included, leaves through one HTTPErrorHandler as an
//     RFC 9457 application/problem+json document.
//   - Authentication and roles come from the document too: an operation with a security
//     requirement takes a bearer token, and its x-roles lists the roles it admits.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v5"

	"example.com/gopher-template/plumbing/apiheaders"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/ecommerce/api"
	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/token"
)

// BasePath prefixes every operation of the document (its servers[0].url).
const BasePath = "/v1"

// Defaults of Options.
const (
	DefaultRequestTimeout = 5 * time.Second
	DefaultMaxBodyBytes   = 64 << 10
)

// TokenParser checks access tokens (*token.Manager).
type TokenParser interface {
	Parse(token string) (token.Principal, error)
}

// Recorder observes every request, for metrics: route is the route pattern ("unmatched" when no
// route matched), status the status sent.
type Recorder interface {
	ObserveRequest(route, method string, status int, d time.Duration)
}

// Options are what the HTTP interface needs.
type Options struct {
	Logger   *slog.Logger
	Catalog  *catalog.Service
	Accounts *accounts.Service
	Orders   *ordering.Service
	Tokens   TokenParser
	// RequestTimeout bounds the context of every request: a handler still waiting on storage
	// then gets context.DeadlineExceeded, answered 503. 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a request body (413 past it). 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Extra are handlers served for GET at exact paths outside BasePath, such as /healthz,
	// /readyz and /metrics: they get the access log's route, the metrics and the API headers
	// like every route.
	Extra map[string]http.Handler
	// Recorder, if set, observes every request.
	Recorder Recorder
}

// server implements gen.ServerInterface.
type server struct {
	logger   *slog.Logger
	catalog  *catalog.Service
	accounts *accounts.Service
	orders   *ordering.Service
	tokens   TokenParser
	recorder Recorder
	validate *validator.Validate
	timeout  time.Duration
	maxBody  int64
	// params holds, per route ("GET /v1/products"), what each parameter must be, to word
	// binding errors for the client.
	params map[string]map[string]string
}

var _ gen.ServerInterface = (*server)(nil)

// New returns the API's handler: the Echo engine with the document's operations under BasePath,
// the Swagger UI at /swagger/, the document at /openapi.yaml and /openapi.json, and opts.Extra,
// all behind apiheaders.Middleware. cmd wraps it in logging.Middleware.
func New(ctx context.Context, opts Options) (http.Handler, error) {
	e, err := newEngine(ctx, opts)
	if err != nil {
		return nil, err
	}
	return apiheaders.Middleware(e), nil
}

func newEngine(ctx context.Context, opts Options) (*echo.Echo, error) {
	if opts.Logger == nil || opts.Catalog == nil || opts.Accounts == nil || opts.Orders == nil || opts.Tokens == nil {
		return nil, errors.New("httpapi: a logger, the three services and a token parser are required")
	}
	if opts.RequestTimeout < 0 || opts.MaxBodyBytes < 0 {
		return nil, errors.New("httpapi: RequestTimeout and MaxBodyBytes must not be negative")
	}
	// The document as written (gen.GetSpec's copy has its operationIds renamed for Go, and the
	// per-operation middlewares are keyed by the names as written).
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("httpapi: load the OpenAPI document: %w", err)
	}
	s := &server{logger: opts.Logger, catalog: opts.Catalog, accounts: opts.Accounts, orders: opts.Orders,
		tokens: opts.Tokens, recorder: opts.Recorder, validate: newValidator(),
		timeout: opts.RequestTimeout, maxBody: opts.MaxBodyBytes, params: paramRules(doc)}
	if s.timeout == 0 {
		s.timeout = DefaultRequestTimeout
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	auth, err := s.operationMiddlewares(doc)
	if err != nil {
		return nil, err
	}

	e := echo.NewWithConfig(echo.Config{Logger: opts.Logger, HTTPErrorHandler: s.handleError})
	e.Use(s.observe, s.recoverPanic, s.withTimeout)
	gen.RegisterHandlersWithOptions(e, s, gen.RegisterHandlersOptions{BaseURL: BasePath, OperationMiddlewares: auth})
	if err := addDocs(ctx, e, doc); err != nil {
		return nil, err
	}
	for path, h := range opts.Extra {
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, BasePath+"/") || isDocsPath(path) {
			return nil, fmt.Errorf("httpapi: extra handler path %q is not a free absolute path", path)
		}
		if _, err := e.AddRoute(echo.Route{Method: http.MethodGet, Path: path, Handler: echo.WrapHandler(h)}); err != nil {
			return nil, fmt.Errorf("httpapi: extra handler %s: %w", path, err)
		}
	}
	return e, nil
}

// observe adds the route to the access-log line and reports the request to the Recorder.
func (s *server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		start := time.Now()
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		logging.AddAccessAttrs(c.Request().Context(), slog.String("route", route))
		err := next(c)
		if s.recorder != nil {
			status := http.StatusInternalServerError
			if err == nil {
				_, status = echo.ResolveResponseStatus(c.Response(), nil)
			} else if p := s.toProblem(c, err); p != nil {
				status = p.Status
			}
			s.recorder.ObserveRequest(route, c.Request().Method, status, time.Since(start))
		}
		return err
	}
}

// recoverPanic turns a handler's panic into an error, answered as a 500 problem and logged by
// the error handler. http.ErrAbortHandler is let through, as net/http expects.
func (s *server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if e, ok := r.(error); ok && errors.Is(e, http.ErrAbortHandler) {
					panic(r)
				}
				err = fmt.Errorf("panic in handler: %v\n%s", r, debug.Stack())
			}
		}()
		return next(c)
	}
}

// withTimeout bounds the request's context by the request timeout.
func (s *server) withTimeout(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.timeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// paramRules returns, per route, the wording of what each parameter must be, from the schema the
// document gives it.
func paramRules(doc *openapi3.T) map[string]map[string]string {
	rules := map[string]map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			byName := map[string]string{}
			for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, ref := range params {
					if p := ref.Value; p != nil && p.Schema != nil && p.Schema.Value != nil {
						byName[p.Name] = describeSchema(p.Schema.Value)
					}
				}
			}
			rules[routeKey(method, echoPath(path))] = byName
		}
	}
	return rules
}

func describeSchema(s *openapi3.Schema) string {
	switch {
	case s.Type.Is("integer"):
		return "must be an integer"
	case s.Type.Is("number"):
		return "must be a number"
	case s.Type.Is("boolean"):
		return "must be true or false"
	case s.Format == "uuid":
		return "must be a UUID"
	default:
		return "has the wrong format"
	}
}

// echoPath turns a document path (/products/{id}) into the Echo route path (/v1/products/:id).
func echoPath(docPath string) string {
	var b strings.Builder
	b.WriteString(BasePath)
	for seg := range strings.SplitSeq(strings.TrimPrefix(docPath, "/"), "/") {
		b.WriteByte('/')
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			b.WriteByte(':')
			b.WriteString(strings.TrimSuffix(name, "}"))
		} else {
			b.WriteString(seg)
		}
	}
	return b.String()
}

func routeKey(method, path string) string { return method + " " + path }
