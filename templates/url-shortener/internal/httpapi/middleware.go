package httpapi

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"example.com/gopher-template/url-shortener/internal/logging"
)

const requestIDHeader = "X-Request-ID"

// requestID takes the caller's X-Request-ID when it looks sane, or makes one,
// echoes it in the response and stores it in the request context so every
// log line of the request carries it.
func (s *server) requestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !validRequestID(id) {
		id = uuid.NewString()
	}
	c.Header(requestIDHeader, id)
	c.Request = c.Request.WithContext(logging.WithRequestID(c.Request.Context(), id))
	c.Next()
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

// observe records metrics and an access log line for every request.
func (s *server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)

	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	s.metrics.ObserveRequest(route, c.Request.Method, status, elapsed)

	level := slog.LevelInfo
	switch {
	case status >= http.StatusInternalServerError:
		level = slog.LevelError
	case route == "/healthz" || route == "/readyz" || route == "/metrics":
		level = slog.LevelDebug
	}
	s.logger.LogAttrs(c.Request.Context(), level, "http request",
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.String("client_ip", c.ClientIP()),
	)
}

// recoverPanic turns a panic in a handler into a logged 500 response.
func (s *server) recoverPanic(c *gin.Context) {
	defer func() {
		rec := recover()
		if rec == nil {
			return
		}
		if err, ok := rec.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			panic(rec)
		}
		s.logger.ErrorContext(c.Request.Context(), "panic in handler",
			slog.Any("panic", rec), slog.String("stack", string(debug.Stack())))
		if !c.Writer.Written() {
			writeError(c, http.StatusInternalServerError, "internal error")
		}
		c.Abort()
	}()
	c.Next()
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
