package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"example.com/gopher-template/plumbing/health"
)

// addRoutes lists every route the service serves.
func addRoutes(r *gin.Engine, s *server, readyz http.Handler) {
	r.GET("/healthz", gin.WrapH(health.Healthz()))
	r.GET("/readyz", gin.WrapH(readyz))
	r.GET("/metrics", gin.WrapH(s.metrics.Handler()))

	// Writes must send JSON: see requireJSON.
	api := r.Group("/api/v1", s.requireToken, requireJSON)
	api.POST("/links", s.rateLimit, s.createLink)
	api.GET("/links", s.listLinks)
	api.GET("/links/:code", s.getLink)
	api.DELETE("/links/:code", s.deleteLink)

	// Redirects are public, even when API_TOKEN is set.
	r.GET("/:code", s.redirect)
}
