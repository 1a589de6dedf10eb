package httpapi

import (
	"github.com/gin-gonic/gin"
)

// addRoutes lists every route the service serves.
func addRoutes(r *gin.Engine, s *server) {
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(s.metrics.Handler()))

	api := r.Group("/api/v1", s.requireToken)
	api.POST("/links", s.rateLimit, s.createLink)
	api.GET("/links", s.listLinks)
	api.GET("/links/:code", s.getLink)
	api.DELETE("/links/:code", s.deleteLink)

	// Redirects are public, even when API_TOKEN is set.
	r.GET("/:code", s.redirect)
}
