// Package apiheaders is the one way every HTTP API of the project tells browsers how to treat its
// responses: as data, never as a page. Whatever a caller manages to put in a JSON body, it is not
// sniffed into HTML or script, runs nothing, loads nothing and cannot be framed (click-jacking).
package apiheaders

import "net/http"

// headers are set on every response by Middleware. Each name is in canonical form and each value
// is a one-element slice shared by every response: Middleware assigns them into the header map
// as they are, where Header.Set would canonicalise the name and allocate a slice per header and
// request. Sharing is safe because len == cap: Header.Add appends to a copy, and Set and Del
// replace or drop the slice; only code writing into the slice in place (h[name][0] = v, which
// nothing here does) could change a header for every response.
var headers = [...]struct {
	name  string
	value []string
}{
	// Browsers must believe Content-Type, never guess HTML or script from the body.
	{"X-Content-Type-Options", []string{"nosniff"}},
	// Should a response be rendered anyway, it may load and run nothing, and no page may frame it.
	{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
	// frame-ancestors for browsers that predate it.
	{"X-Frame-Options", []string{"DENY"}},
}

// Middleware sets the headers on every response of next, before next runs: a handler may still
// override one (a handler that serves a page would relax the policy), and the response that an
// outer middleware writes after a panic keeps them.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, header := range headers {
			h[header.name] = header.value
		}
		next.ServeHTTP(w, r)
	})
}
