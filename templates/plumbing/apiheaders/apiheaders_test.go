package apiheaders

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
	}
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		override   map[string]string // headers the handler sets itself
	}{
		{
			name: "JSON response",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(`{"id":"1"}`))
			},
			wantStatus: http.StatusCreated,
		},
		{
			name:       "error",
			handler:    func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			wantStatus: http.StatusNotFound,
		},
		{
			name:       "nothing written",
			handler:    func(http.ResponseWriter, *http.Request) {},
			wantStatus: http.StatusOK,
		},
		{
			name: "redirect",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://example.org", http.StatusFound)
			},
			wantStatus: http.StatusFound,
		},
		{
			name: "handler overrides the policy",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Security-Policy", "default-src 'self'")
				w.WriteHeader(http.StatusOK)
			},
			wantStatus: http.StatusOK,
			override:   map[string]string{"Content-Security-Policy": "default-src 'self'"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			Middleware(tt.handler).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/x", nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			for name, value := range want {
				if v, ok := tt.override[name]; ok {
					value = v
				}
				if got := rec.Header().Values(name); len(got) != 1 || got[0] != value {
					t.Errorf("%s = %q, want [%q]", name, got, value)
				}
			}
		})
	}
}

// TestHeadersAreCanonical: Middleware assigns the names into the header map as they are, so a
// name out of canonical form would never be found by Header.Get, nor overridden by Header.Set.
func TestHeadersAreCanonical(t *testing.T) {
	t.Parallel()
	for _, header := range headers {
		if canonical := http.CanonicalHeaderKey(header.name); header.name != canonical {
			t.Errorf("header name %q is not canonical, want %q", header.name, canonical)
		}
		if len(header.value) != 1 || cap(header.value) != 1 {
			t.Errorf("%s: value %q has len %d, cap %d; want one element, no spare capacity", header.name, header.value, len(header.value), cap(header.value))
		}
	}
}

// TestResponsesShareNoHeaderState: the values are shared by every response; what a handler adds
// to one response must not reach the next.
func TestResponsesShareNoHeaderState(t *testing.T) {
	t.Parallel()
	adds := Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Add("X-Frame-Options", "SAMEORIGIN")
	}))
	plain := Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))

	first := httptest.NewRecorder()
	adds.ServeHTTP(first, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/x", nil))
	if got := first.Header().Values("X-Frame-Options"); len(got) != 2 || got[0] != "DENY" || got[1] != "SAMEORIGIN" {
		t.Errorf("X-Frame-Options after Add = %q, want [DENY SAMEORIGIN]", got)
	}
	next := httptest.NewRecorder()
	plain.ServeHTTP(next, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/x", nil))
	if got := next.Header().Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" {
		t.Errorf("X-Frame-Options of the next response = %q, want [DENY]", got)
	}
}
