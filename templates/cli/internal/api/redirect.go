package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrInsecureRedirect is returned when the server redirects an https request to plain http:
// following it would send the request, token included, in clear text.
var ErrInsecureRedirect = errors.New("refused redirect from https to http, which would send the request in clear text")

// maxRedirects is how many redirects one request follows, as http.Client does by default.
const maxRedirects = 10

// withRedirectPolicy returns a copy of hc (a new client when nil) whose CheckRedirect applies
// checkRedirect before hc's own policy, so the token never leaves the endpoint's origin.
func withRedirectPolicy(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc // a shallow copy shares the transport and its connection pool
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkRedirect(req, via); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

// checkRedirect is the client's redirect policy. http.Client drops the Authorization header
// only when a redirect leaves the original host's domain: it keeps it for the same host on
// another port, or over http after https. Here the header is dropped on any change of
// scheme, host or port from the first request (via[0]), and a step from https down to http
// is refused outright, since the request would travel in clear text.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if prev := via[len(via)-1].URL; strings.EqualFold(prev.Scheme, "https") && !strings.EqualFold(req.URL.Scheme, "https") {
		return fmt.Errorf("%w (from %s)", ErrInsecureRedirect, prev.Redacted())
	}
	if !sameOrigin(via[0].URL, req.URL) {
		req.Header.Del("Authorization")
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port, an absent port
// standing for the scheme's default.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}
