// Package apitest is an in-memory fake of the link API for tests. It implements the HTTP
// contract (routes, status codes, JSON shapes, bearer auth, cursor paging) independently of
// package api, so client tests exercise the real wire format.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ShortBase is the base of every short_url, fixed so golden files do not depend on the port.
const ShortBase = "https://sho.rt/"

// Link is the API's link JSON.
type Link struct {
	Code      string     `json:"code"`
	URL       string     `json:"url"`
	ShortURL  string     `json:"short_url"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	Hits      int64      `json:"hits"`
}

// Reply is a canned response served instead of the real handler.
type Reply struct {
	Status int
	Header http.Header
	Body   string
}

// Request is what the fake recorded about one request.
type Request struct {
	Method        string
	Path          string
	Query         url.Values
	Authorization string
	UserAgent     string
	Body          string
}

// Options configure the fake.
type Options struct {
	Token string           // when set, /api/v1 requires "Authorization: Bearer <Token>"
	Now   func() time.Time // clock for created_at; nil means a fixed time
	TLS   bool             // serve HTTPS with a self-signed certificate that Client() trusts
}

// Server is a running fake API.
type Server struct {
	*httptest.Server

	token string
	now   func() time.Time

	mu       sync.Mutex
	links    []Link
	nextID   int
	replies  []Reply
	requests []Request
}

// FixedNow is the fake's default clock.
func FixedNow() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }

// New starts a fake; it is closed when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{token: opts.Token, now: opts.Now}
	if s.now == nil {
		s.now = FixedNow
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/links", s.create)
	mux.HandleFunc("GET /api/v1/links", s.list)
	mux.HandleFunc("GET /api/v1/links/{code}", s.get)
	mux.HandleFunc("DELETE /api/v1/links/{code}", s.delete)
	if opts.TLS {
		s.Server = httptest.NewTLSServer(s.middleware(mux))
	} else {
		s.Server = httptest.NewServer(s.middleware(mux))
	}
	t.Cleanup(s.Close)
	return s
}

// Seed stores links as they are (ShortURL is filled in when empty).
func (s *Server) Seed(links ...Link) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range links {
		if l.ShortURL == "" {
			l.ShortURL = ShortBase + l.Code
		}
		s.links = append(s.links, l)
	}
}

// Links returns a copy of the stored links.
func (s *Server) Links() []Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Link(nil), s.links...)
}

// Enqueue makes the next requests get these replies, in order, before normal handling resumes.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, replies...)
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, Request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
			Authorization: r.Header.Get("Authorization"), UserAgent: r.UserAgent(), Body: string(body),
		})
		var reply *Reply
		if len(s.replies) > 0 {
			reply = &s.replies[0]
			s.replies = s.replies[1:]
		}
		s.mu.Unlock()

		if reply != nil {
			for k, v := range reply.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(reply.Status)
			_, _ = w.Write([]byte(reply.Body))
			return
		}
		if s.token != "" && strings.HasPrefix(r.URL.Path, "/api/v1/") && r.Header.Get("Authorization") != "Bearer "+s.token {
			writeError(w, http.StatusUnauthorized, "missing or invalid token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var req struct {
		URL       string `json:"url"`
		Alias     string `json:"alias"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeError(w, http.StatusBadRequest, "url must be an absolute http or https URL")
		return
	}
	l := Link{URL: req.URL, CreatedAt: s.now()}
	if req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, req.ExpiresAt)
		if err != nil || !t.After(l.CreatedAt) {
			writeError(w, http.StatusBadRequest, "expires_at must be a future RFC 3339 time")
			return
		}
		l.ExpiresAt = &t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Alias != "" {
		if s.find(req.Alias) >= 0 {
			writeError(w, http.StatusConflict, "alias already taken")
			return
		}
		l.Code = req.Alias
	} else {
		s.nextID++
		l.Code = "n" + strconv.Itoa(s.nextID)
	}
	l.ShortURL = ShortBase + l.Code
	s.links = append(s.links, l)
	writeJSON(w, http.StatusCreated, l)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(r.PathValue("code"))
	if i < 0 {
		writeError(w, http.StatusNotFound, "link not found")
		return
	}
	writeJSON(w, http.StatusOK, s.links[i])
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(r.PathValue("code"))
	if i < 0 {
		writeError(w, http.StatusNotFound, "link not found")
		return
	}
	s.links = append(s.links[:i], s.links[i+1:]...)
	w.WriteHeader(http.StatusNoContent)
}

// list pages through links in insertion order; the cursor is the offset of the next link.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "limit must be between 1 and 100")
			return
		}
		limit = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "off-"))
		if err != nil || !strings.HasPrefix(c, "off-") || n < 0 || n > len(s.links) {
			writeError(w, http.StatusBadRequest, "invalid cursor")
			return
		}
		start = n
	}
	end := min(start+limit, len(s.links))
	page := struct {
		Links      []Link `json:"links"`
		NextCursor string `json:"next_cursor"`
	}{Links: append([]Link{}, s.links[start:end]...)}
	if end < len(s.links) {
		page.NextCursor = "off-" + strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) find(code string) int {
	for i, l := range s.links {
		if l.Code == code {
			return i
		}
	}
	return -1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
