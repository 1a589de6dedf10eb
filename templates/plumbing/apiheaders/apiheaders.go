// Package apiheaders is the one way every HTTP API of the project tells browsers how to treat its
// responses: as data, never as a page. Whatever a caller manages to put in a JSON body, it is not
// sniffed into HTML or script, runs nothing, loads nothing and cannot be framed (click-jacking).
package apiheaders

import "net/http"

// headers are set on every response by Middleware.
var headers = [...]struct{ name, value string }{
	// Browsers must believe Content-Type, never guess HTML or script from the body.
	{"X-Content-Type-Options", "nosniff"},
	// Should a response be rendered anyway, it may load and run nothing, and no page may frame it.
	{"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
	// frame-ancestors for browsers that predate it.
	{"X-Frame-Options", "DENY"},
}

// Middleware sets the headers on every response of next, before next runs: a handler may still
// override one (a handler that serves a page would relax the policy), and the response that an
// outer middleware writes after a panic keeps them.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, header := range headers {
			h.Set(header.name, header.value)
		}
		next.ServeHTTP(w, r)
	})
}
