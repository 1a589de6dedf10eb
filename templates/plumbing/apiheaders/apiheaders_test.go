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
