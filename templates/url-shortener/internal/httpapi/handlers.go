package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/gopher-template/url-shortener/internal/link"
)

const maxBodyBytes = 16 << 10

type createRequest struct {
	URL       string     `json:"url"`
	Alias     string     `json:"alias"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func (s *server) createLink(c *gin.Context) {
	var req createRequest
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, http.StatusBadRequest, err.Error())
		return
	}
	l, err := s.links.Create(c.Request.Context(), link.CreateParams{URL: req.URL, Alias: req.Alias, ExpiresAt: req.ExpiresAt})
	if err != nil {
		s.writeServiceError(c, err)
		return
	}
	c.Header("Location", "/api/v1/links/"+l.Code)
	writeJSON(c, http.StatusCreated, s.toResponse(l))
}

type listResponse struct {
	Links      []linkResponse `json:"links"`
	NextCursor string         `json:"next_cursor"`
}

func (s *server) listLinks(c *gin.Context) {
	limit := link.DefaultPageSize
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			writeError(c, http.StatusBadRequest, "invalid limit: not a number")
			return
		}
		limit = n
	}
	page, err := s.links.List(c.Request.Context(), c.Query("cursor"), limit)
	if err != nil {
		s.writeServiceError(c, err)
		return
	}
	resp := listResponse{Links: make([]linkResponse, len(page.Links)), NextCursor: page.NextCursor}
	for i, l := range page.Links {
		resp.Links[i] = s.toResponse(l)
	}
	writeJSON(c, http.StatusOK, resp)
}

func (s *server) getLink(c *gin.Context) {
	l, err := s.links.Get(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.writeServiceError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, s.toResponse(l))
}

func (s *server) deleteLink(c *gin.Context) {
	if err := s.links.Delete(c.Request.Context(), c.Param("code")); err != nil {
		s.writeServiceError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *server) redirect(c *gin.Context) {
	l, err := s.links.Resolve(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.writeServiceError(c, err)
		return
	}
	c.Redirect(http.StatusFound, l.URL)
}

// decodeJSON reads one JSON object of at most maxBodyBytes into v,
// rejecting unknown fields.
func decodeJSON(c *gin.Context, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return fmt.Errorf("request body larger than %d bytes", maxErr.Limit)
		}
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("invalid JSON body: trailing data")
	}
	return nil
}
