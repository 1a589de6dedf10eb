package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/url-shortener/internal/link"
)

type createRequest struct {
	URL   string `json:"url"`
	Alias string `json:"alias"`
	// ExpiresAt is decoded as a string and parsed by params, so that a bad
	// timestamp gets an error naming the field rather than Go's time layout.
	ExpiresAt *string `json:"expires_at"`
}

// errBadExpiresAt is the client's error for an expires_at that is a string
// but no RFC 3339 timestamp.
var errBadExpiresAt = errors.New(`field "expires_at" must be an RFC 3339 timestamp, such as "2030-01-02T15:04:05Z"`)

// params turns the request into the service's parameters.
func (r createRequest) params() (link.CreateParams, error) {
	p := link.CreateParams{URL: r.URL, Alias: r.Alias}
	if r.ExpiresAt != nil {
		var t time.Time
		// UnmarshalText accepts RFC 3339, as time.Time's JSON decoding does.
		if err := t.UnmarshalText([]byte(*r.ExpiresAt)); err != nil {
			return link.CreateParams{}, errBadExpiresAt
		}
		p.ExpiresAt = &t
	}
	return p, nil
}

func (s *server) createLink(c *gin.Context) {
	var req createRequest
	if err := decodeJSON(c, &req); err != nil {
		writeBodyError(c, err)
		return
	}
	p, err := req.params()
	if err != nil {
		writeError(c, http.StatusBadRequest, err.Error())
		return
	}
	l, err := s.links.Create(c.Request.Context(), p)
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

// referrerPolicy is sent with redirects; browsers apply a redirect's policy
// to the request that follows it. no-referrer: the target then learns neither
// the short URL nor the page the visitor came from.
// A short link is often shared as a semi-private address (an unlisted
// document, a campaign code) and some users shorten links precisely to hide
// where they were posted; the service counts hits itself, so the target's
// analytics are the only thing lost.
//
// It is assigned into the header map as is, by its canonical name: Header.Set
// would canonicalise the name and allocate the slice on every redirect. The
// slice is shared by all of them, which is safe as len == cap (see
// apiheaders).
var referrerPolicy = []string{"no-referrer"}

// redirect answers GET /<code>. Its access-log lines are at Debug: it is the
// busiest route by far, the metrics count its answers, and a line per
// redirect costs more than the rest of a redirect served from memory. A 5xx
// is still logged at Error.
func (s *server) redirect(c *gin.Context) {
	logging.SetAccessLevel(c.Request.Context(), slog.LevelDebug)
	c.Writer.Header()["Referrer-Policy"] = referrerPolicy
	l, err := s.links.Resolve(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.writeServiceError(c, err)
		return
	}
	c.Redirect(http.StatusFound, l.URL)
}
