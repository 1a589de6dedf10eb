package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/gopher-template/plumbing/jsonbody"

	"example.com/gopher-template/url-shortener/internal/link"
)

type errorResponse struct {
	Error string `json:"error"`
}

// linkResponse is the JSON form of a link.
type linkResponse struct {
	Code      string     `json:"code"`
	URL       string     `json:"url"`
	ShortURL  string     `json:"short_url"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	Hits      int64      `json:"hits"`
}

func (s *server) toResponse(l link.Link) linkResponse {
	return linkResponse{
		Code:      l.Code,
		URL:       l.URL,
		ShortURL:  s.baseURL + "/" + l.Code,
		CreatedAt: l.CreatedAt,
		ExpiresAt: l.ExpiresAt,
		Hits:      l.Hits,
	}
}

// writeJSON writes v without HTML-escaping, so URLs stay readable.
func writeJSON(c *gin.Context, status int, v any) {
	c.PureJSON(status, v)
}

// writeError aborts the request with a JSON error body.
func writeError(c *gin.Context, status int, msg string) {
	c.Abort()
	writeJSON(c, status, errorResponse{Error: msg})
}

// writeBodyError answers a request body jsonbody refused with its status
// (400, 413 or 415) and message.
func writeBodyError(c *gin.Context, err error) {
	if bodyErr, ok := errors.AsType[*jsonbody.Error](err); ok {
		writeError(c, bodyErr.Status, bodyErr.Message)
		return
	}
	writeError(c, http.StatusBadRequest, "invalid request body")
}

// writeServiceError maps a link.Service error to a response. Unexpected
// errors are logged and hidden from the client.
func (s *server) writeServiceError(c *gin.Context, err error) {
	switch {
	case link.IsInvalidInput(err):
		writeError(c, http.StatusBadRequest, err.Error())
	case errors.Is(err, link.ErrNotFound):
		writeError(c, http.StatusNotFound, "link not found")
	case errors.Is(err, link.ErrAliasTaken):
		writeError(c, http.StatusConflict, "alias already taken")
	case errors.Is(err, link.ErrExpired):
		writeError(c, http.StatusGone, "link expired")
	default:
		s.logger.ErrorContext(c.Request.Context(), "request failed", slog.Any("error", err))
		writeError(c, http.StatusInternalServerError, "internal error")
	}
}
