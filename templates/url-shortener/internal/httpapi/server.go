// Package httpapi is the HTTP interface of the service, built on Gin. Gin
// stays inside this package: NewServer returns a plain http.Handler.
package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/gopher-template/plumbing/apiheaders"
	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/metrics"
	"example.com/gopher-template/url-shortener/internal/ratelimit"
)

// Bounds of the per-client rate limiter's memory.
const (
	rateLimitMaxClients = 10_000
	rateLimitIdleTTL    = 10 * time.Minute
)

// Options are the settings of the HTTP interface.
type Options struct {
	// BaseURL prefixes the short URLs in responses, e.g. https://sho.rt.
	BaseURL string
	// APIToken, when not empty, is required as a bearer token on /api/v1.
	APIToken string
	// TrustedProxies lists the proxy IPs or CIDRs whose X-Forwarded-For
	// header is believed when finding the client IP; none when empty.
	TrustedProxies []string
	// RateLimitRPS and RateLimitBurst limit link creations per client IP.
	RateLimitRPS   float64
	RateLimitBurst int
}

// server holds what the handlers need.
type server struct {
	logger   *slog.Logger
	links    *link.Service
	metrics  *metrics.Metrics
	limiter  *ratelimit.Limiter
	baseURL  string
	apiToken string
}

// NewServer returns the service's HTTP handler: the Gin engine behind
// apiheaders.Middleware, which sets the headers that keep browsers from
// rendering or framing responses, and logging.Middleware, which gives every
// request an ID, recovers panics and writes the access log. /readyz runs
// checks.
func NewServer(logger *slog.Logger, opts Options, links *link.Service, m *metrics.Metrics, checks ...health.Check) (http.Handler, error) {
	s := &server{
		logger:   logger,
		links:    links,
		metrics:  m,
		limiter:  ratelimit.New(opts.RateLimitRPS, opts.RateLimitBurst, rateLimitMaxClients, rateLimitIdleTTL),
		baseURL:  strings.TrimRight(opts.BaseURL, "/"),
		apiToken: opts.APIToken,
	}

	r := gin.New()
	// Only believe X-Forwarded-For from configured proxies; by default the
	// client IP is the peer address.
	if err := r.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, fmt.Errorf("httpapi: trusted proxies: %w", err)
	}
	r.Use(s.observe)
	r.NoRoute(func(c *gin.Context) { writeError(c, http.StatusNotFound, "not found") })
	addRoutes(r, s, health.Readyz(logger, checks...))
	return logging.Middleware(logger)(apiheaders.Middleware(r)), nil
}
