// Package httpapi is the HTTP interface of the service, built on Gin. Gin
// stays inside this package: NewServer returns a plain http.Handler.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/gopher-template/url-shortener/internal/config"
	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/metrics"
	"example.com/gopher-template/url-shortener/internal/ratelimit"
)

// Bounds of the per-client rate limiter's memory.
const (
	rateLimitMaxClients = 10_000
	rateLimitIdleTTL    = 10 * time.Minute
)

// Check is a named readiness probe of a dependency.
type Check struct {
	Name  string
	Check func(context.Context) error
}

// server holds what the handlers need.
type server struct {
	logger   *slog.Logger
	links    *link.Service
	metrics  *metrics.Metrics
	limiter  *ratelimit.Limiter
	checks   []Check
	baseURL  string
	apiToken string
}

// NewServer returns the service's HTTP handler. cfg must have been validated
// by config.Load.
func NewServer(logger *slog.Logger, cfg config.Config, links *link.Service, m *metrics.Metrics, checks ...Check) http.Handler {
	s := &server{
		logger:   logger,
		links:    links,
		metrics:  m,
		limiter:  ratelimit.New(cfg.RateLimitRPS, cfg.RateLimitBurst, rateLimitMaxClients, rateLimitIdleTTL),
		checks:   checks,
		baseURL:  strings.TrimRight(cfg.BaseURL, "/"),
		apiToken: cfg.APIToken,
	}

	// Gin's mode is process-wide; release mode drops its debug output.
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// Only believe X-Forwarded-For from configured proxies; by default the
	// client IP is the peer address.
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		panic("httpapi: TRUSTED_PROXIES not validated: " + err.Error())
	}
	r.Use(s.requestID, s.observe, s.recoverPanic)
	r.NoRoute(func(c *gin.Context) { writeError(c, http.StatusNotFound, "not found") })
	addRoutes(r, s)
	return r
}
