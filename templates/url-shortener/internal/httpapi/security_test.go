package httpapi_test

import (
	"cmp"
	"net/http"
	"strings"
	"testing"
)

// TestWriteEndpointsRequireJSON: a cross-site HTML form can POST
// form-encoded, multipart or text/plain bodies without a CORS preflight, so
// with API_TOKEN unset any web page could create links through its visitors'
// browsers. Only application/json is accepted on request bodies.
func TestWriteEndpointsRequireJSON(t *testing.T) {
	t.Parallel()
	const body = `{"url":"https://example.org/form"}`
	tests := []struct {
		name        string
		method      string
		target      string
		body        string
		contentType string // "" sends none
		wantStatus  int
	}{
		{name: "json", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "application/json", wantStatus: http.StatusCreated},
		{name: "json with charset", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "application/json; charset=utf-8", wantStatus: http.StatusCreated},
		{name: "json, other case and spacing", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "Application/JSON;charset=UTF-8", wantStatus: http.StatusCreated},
		{name: "text/plain form", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "text/plain", wantStatus: http.StatusUnsupportedMediaType},
		{name: "text/plain with charset", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "text/plain; charset=utf-8", wantStatus: http.StatusUnsupportedMediaType},
		{name: "url-encoded form", method: http.MethodPost, target: "/api/v1/links", body: "url=https://example.org/form", contentType: "application/x-www-form-urlencoded", wantStatus: http.StatusUnsupportedMediaType},
		{name: "multipart form", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "multipart/form-data; boundary=x", wantStatus: http.StatusUnsupportedMediaType},
		{name: "no content type", method: http.MethodPost, target: "/api/v1/links", body: body, wantStatus: http.StatusUnsupportedMediaType},
		{name: "no content type, no body", method: http.MethodPost, target: "/api/v1/links", wantStatus: http.StatusUnsupportedMediaType},
		{name: "json prefix", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "application/jsonx", wantStatus: http.StatusUnsupportedMediaType},
		{name: "json suffix type", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "application/vnd.api+json", wantStatus: http.StatusUnsupportedMediaType},
		{name: "text/json", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "text/json", wantStatus: http.StatusUnsupportedMediaType},
		{name: "unparsable parameter", method: http.MethodPost, target: "/api/v1/links", body: body, contentType: "application/json; charset", wantStatus: http.StatusUnsupportedMediaType},
		{name: "delete without body", method: http.MethodDelete, target: "/api/v1/links/kept", wantStatus: http.StatusNoContent},
		{name: "delete with a form body", method: http.MethodDelete, target: "/api/v1/links/kept", body: "x=1", contentType: "application/x-www-form-urlencoded", wantStatus: http.StatusUnsupportedMediaType},
		{name: "read", method: http.MethodGet, target: "/api/v1/links/kept", wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			ts.create(t, `{"url":"https://example.org/kept","alias":"kept"}`, nil)

			rec := ts.do(t, request{method: tt.method, target: tt.target, body: tt.body, headers: map[string]string{"Content-Type": tt.contentType}})
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus != http.StatusUnsupportedMediaType {
				return
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want the JSON error body", ct)
			}
			if got := decode[map[string]string](t, rec)["error"]; got != "Content-Type must be application/json" {
				t.Errorf("error = %q", got)
			}
			list := decode[struct {
				Links []linkJSON `json:"links"`
			}](t, ts.do(t, request{method: http.MethodGet, target: "/api/v1/links"}))
			if len(list.Links) != 1 || list.Links[0].Code != "kept" {
				t.Errorf("links after a rejected request = %+v, want only \"kept\"", list.Links)
			}
		})
	}
}

// TestCreateLinkRejectsBadBodies: errors about the body name the JSON field
// and the type it needs, never Go's names for them.
func TestCreateLinkRejectsBadBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      string
		wantError string
		wantCode  int // 0: 400
	}{
		{name: "url is a number", body: `{"url":5}`, wantError: `field "url" must be a string`},
		{name: "url is an object", body: `{"url":{"href":"https://example.org"}}`, wantError: `field "url" must be a string`},
		{name: "alias is a boolean", body: `{"url":"https://example.org","alias":true}`, wantError: `field "alias" must be a string`},
		{name: "expires_at is a number", body: `{"url":"https://example.org","expires_at":1893456000}`, wantError: `field "expires_at" must be a string`},
		{name: "expires_at is not RFC 3339", body: `{"url":"https://example.org","expires_at":"tomorrow"}`,
			wantError: `field "expires_at" must be an RFC 3339 timestamp, such as "2030-01-02T15:04:05Z"`},
		{name: "expires_at without zone", body: `{"url":"https://example.org","expires_at":"2030-01-02T15:04:05"}`,
			wantError: `field "expires_at" must be an RFC 3339 timestamp, such as "2030-01-02T15:04:05Z"`},
		{name: "array", body: `[{"url":"https://example.org"}]`, wantError: "request body must be a JSON object"},
		{name: "string", body: `"https://example.org"`, wantError: "request body must be a JSON object"},
		{name: "empty", body: "", wantError: "request body is empty; send a JSON object"},
		{name: "form-encoded", body: `url=https://example.org`, wantError: "malformed JSON: syntax error at byte 1"},
		{name: "missing colon", body: `{"url" "https://example.org"}`, wantError: "malformed JSON: syntax error at byte 8"},
		{name: "cut short", body: `{"url":"https://example.org"`, wantError: "malformed JSON: the body ends too early"},
		{name: "unknown field", body: `{"url":"https://example.org","code":"x"}`, wantError: `unknown field "code"`},
		{name: "second value", body: `{"url":"https://example.org"} {}`, wantError: "unexpected data after the JSON object"},
		{name: "trailing garbage", body: `{"url":"https://example.org"}x`, wantError: "unexpected data after the JSON object"},
		{name: "huge body", body: `{"url":"https://example.org","alias":"` + strings.Repeat("a", 20<<10) + `"}`, wantError: "request body larger than 16384 bytes", wantCode: http.StatusRequestEntityTooLarge},
		{name: "unparsable url", body: `{"url":"http://[::1"}`, wantError: "invalid url: not a well-formed URL"},
		{name: "control character in url", body: `{"url":"https://example.org/\u0007"}`, wantError: "invalid url: not a well-formed URL"},
	}
	goish := []string{"struct", "Go", "createRequest", "json:", "nmarshal", "time.", "*", "main.", "parse ", "missing ']'"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			rec := ts.do(t, request{method: http.MethodPost, target: "/api/v1/links", body: tt.body,
				headers: map[string]string{"Content-Type": "application/json"}})
			wantCode := cmp.Or(tt.wantCode, http.StatusBadRequest)
			if rec.Code != wantCode {
				t.Fatalf("status = %d, want %d: %s", rec.Code, wantCode, rec.Body)
			}
			got := decode[map[string]string](t, rec)["error"]
			if got != tt.wantError {
				t.Errorf("error = %q, want %q", got, tt.wantError)
			}
			for _, word := range goish {
				if strings.Contains(got, word) {
					t.Errorf("error %q names Go internals (%q)", got, word)
				}
			}
		})
	}
}

// TestSecurityHeaders: no response can be sniffed into something a browser
// renders, run scripts or be framed; a redirect sends no Referer on to the
// target.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	apiHeaders := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
	}
	tests := []struct {
		name          string
		req           request
		wantStatus    int
		wantReferrer  string
		wantMediaType string
	}{
		{name: "created", req: request{method: http.MethodPost, target: "/api/v1/links", body: `{"url":"https://example.org/new"}`},
			wantStatus: http.StatusCreated, wantMediaType: "application/json"},
		{name: "link", req: request{method: http.MethodGet, target: "/api/v1/links/there"}, wantStatus: http.StatusOK, wantMediaType: "application/json"},
		{name: "error", req: request{method: http.MethodGet, target: "/api/v1/links/missing"}, wantStatus: http.StatusNotFound, wantMediaType: "application/json"},
		{name: "unmatched route", req: request{method: http.MethodGet, target: "/a/b/c"}, wantStatus: http.StatusNotFound, wantMediaType: "application/json"},
		{name: "readiness", req: request{method: http.MethodGet, target: "/readyz"}, wantStatus: http.StatusOK, wantMediaType: "application/json"},
		{name: "redirect", req: request{method: http.MethodGet, target: "/there"}, wantStatus: http.StatusFound, wantReferrer: "no-referrer"},
		{name: "unknown code", req: request{method: http.MethodGet, target: "/nowhere"}, wantStatus: http.StatusNotFound, wantReferrer: "no-referrer",
			wantMediaType: "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			ts.create(t, `{"url":"https://example.org/there","alias":"there"}`, nil)

			rec := ts.do(t, tt.req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			for name, want := range apiHeaders {
				if got := rec.Header().Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if got := rec.Header().Get("Referrer-Policy"); got != tt.wantReferrer {
				t.Errorf("Referrer-Policy = %q, want %q", got, tt.wantReferrer)
			}
			if ct := rec.Header().Get("Content-Type"); tt.wantMediaType != "" && !strings.HasPrefix(ct, tt.wantMediaType) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.wantMediaType)
			}
		})
	}
}
