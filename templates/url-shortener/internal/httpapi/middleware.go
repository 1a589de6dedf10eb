package httpapi

import (
	"crypto/subtle"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"example.com/gopher-template/plumbing/jsonbody"
	"example.com/gopher-template/plumbing/logging"
)

// nameSpan names the request's server span after its route ("GET /:code"), as
// the HTTP semantic conventions ask, and records the route: otelhttp, which
// starts the span before Gin routes the request, knows only the method.
func nameSpan(c *gin.Context) {
	if route := c.FullPath(); route != "" {
		span := trace.SpanFromContext(c.Request.Context())
		span.SetName(c.Request.Method + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route))
	}
	c.Next()
}

// observe records every request in the per-route metrics and adds its route
// and client IP to the access-log line that logging.Middleware writes.
func (s *server) observe(c *gin.Context) {
	start := time.Now()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	ctx := c.Request.Context()
	logging.AddAccessAttrs(ctx, slog.String("route", route))

	returned := false
	defer func() {
		status := c.Writer.Status()
		if !returned {
			// A handler panicked: logging.Middleware recovers and answers 500.
			status = http.StatusInternalServerError
		}
		s.metrics.ObserveRequest(route, c.Request.Method, status, time.Since(start))
		// Finding the client IP parses and formats addresses: only for a line
		// that is written (most redirects' are not: they log at Debug).
		if logging.AccessLogEnabled(ctx, status) {
			logging.AddAccessAttrs(ctx, slog.String("client_ip", c.ClientIP()))
		}
	}()
	c.Next()
	returned = true
}

// requireToken enforces "Authorization: Bearer <API_TOKEN>" when a token is
// configured, comparing in constant time.
func (s *server) requireToken(c *gin.Context) {
	if s.apiToken == "" {
		c.Next()
		return
	}
	scheme, token, _ := strings.Cut(c.GetHeader("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") ||
		subtle.ConstantTimeCompare([]byte(token), []byte(s.apiToken)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="api"`)
		writeError(c, http.StatusUnauthorized, "missing or invalid bearer token")
		return
	}
	c.Next()
}

// rateLimit limits requests per client IP, answering 429 with Retry-After.
func (s *server) rateLimit(c *gin.Context) {
	ok, retryAfter := s.limiter.Allow(c.ClientIP())
	if !ok {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
		writeError(c, http.StatusTooManyRequests, "rate limit exceeded")
		return
	}
	c.Next()
}

// requireJSON answers 415 to a write whose body is not declared
// application/json (jsonbody.CheckContentType). An HTML form on any web site
// can POST form-encoded, multipart or text/plain bodies across sites without
// a CORS preflight; a cross-site request with a JSON body needs one, which
// this service never grants. So, without API_TOKEN, no web page can create
// links through its visitors' browsers.
func requireJSON(c *gin.Context) {
	if err := jsonbody.CheckContentType(c.Request); err != nil {
		writeBodyError(c, err)
		return
	}
	c.Next()
}
