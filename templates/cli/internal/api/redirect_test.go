package api

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"example.com/gopher-template/cli/internal/apitest"
)

// TestRedirectToken follows a redirect from one fake API to another (or to itself) and checks
// which requests carried the token. httptest servers listen on 127.0.0.1, so two of them
// differ only by port: the case http.Client's own rule (same host name) lets through.
func TestRedirectToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fromTLS    bool
		toTLS      bool
		sameServer bool   // redirect to another path of the same server
		wantAuth   string // Authorization the redirect's target received
		wantErr    error  // nil: the link is fetched from the target
	}{
		{name: "same origin keeps the token", sameServer: true, wantAuth: "Bearer tok"},
		{name: "another port drops the token"},
		{name: "http to https on another port drops the token", toTLS: true},
		{name: "https to https on another port drops the token", fromTLS: true, toTLS: true},
		{name: "https to http is refused", fromTLS: true, wantErr: ErrInsecureRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from := apitest.New(t, apitest.Options{TLS: tt.fromTLS})
			to := from
			if !tt.sameServer {
				to = apitest.New(t, apitest.Options{TLS: tt.toTLS})
			}
			to.Seed(apitest.Link{Code: "abc", URL: "https://example.com/"})
			from.Enqueue(apitest.Reply{Status: http.StatusFound, Header: http.Header{"Location": {to.URL + "/api/v1/links/abc"}}})
			// Every httptest TLS server has the same certificate: either one's client trusts both.
			hc := from.Client()
			if tt.toTLS {
				hc = to.Client()
			}
			c, err := New(Options{Endpoint: from.URL, Token: "tok", HTTPClient: hc})
			if err != nil {
				t.Fatal(err)
			}

			l, err := c.GetLink(t.Context(), "abc")

			if got := from.Requests()[0].Authorization; got != "Bearer tok" {
				t.Errorf("first request: Authorization = %q, want the token", got)
			}
			if tt.wantErr != nil {
				var ne *NetworkError
				if !errors.Is(err, tt.wantErr) || errors.As(err, &ne) {
					t.Fatalf("err = %v, want %v (and not a NetworkError)", err, tt.wantErr)
				}
				if n := len(to.Requests()); n != 0 {
					t.Errorf("the redirect's target got %d requests, want none", n)
				}
				if n := len(from.Requests()); n != 1 {
					t.Errorf("the endpoint got %d requests, want 1 (a refused redirect is not retried)", n)
				}
				return
			}
			if err != nil || l.Code != "abc" {
				t.Fatalf("GetLink = %+v, %v", l, err)
			}
			reqs := to.Requests()
			if got := reqs[len(reqs)-1].Authorization; got != tt.wantAuth {
				t.Errorf("redirect target: Authorization = %q, want %q", got, tt.wantAuth)
			}
		})
	}
}

// TestRedirectKeepsCallersPolicy checks that a caller's CheckRedirect still runs after ours.
func TestRedirectKeepsCallersPolicy(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{})
	s.Enqueue(apitest.Reply{Status: http.StatusFound, Header: http.Header{"Location": {s.URL + "/elsewhere"}}})
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c, err := New(Options{Endpoint: s.URL, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetLink(t.Context(), "abc")
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusFound {
		t.Fatalf("err = %v, want the 302 itself (the caller's policy stops redirects)", err)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("%d requests, want 1: the redirect was followed", n)
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"http://sho.rt/api", "http://sho.rt/other?q=1", true},
		{"http://sho.rt", "http://SHO.RT:80/", true},
		{"https://sho.rt:443", "https://sho.rt/", true},
		{"http://sho.rt", "http://sho.rt:8080", false},
		{"http://sho.rt", "https://sho.rt", false},
		{"https://sho.rt", "https://api.sho.rt", false},
		{"http://127.0.0.1:1", "http://localhost:1", false},
	}
	for _, tt := range tests {
		a, b := mustParse(t, tt.a), mustParse(t, tt.b)
		if got := sameOrigin(a, b); got != tt.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
