package jsonbody_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/gopher-template/plumbing/jsonbody"
)

type request struct {
	URL   string            `json:"url"`
	Count int               `json:"count"`
	Tags  []string          `json:"tags"`
	Meta  map[string]string `json:"meta"`
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		method      string
		contentType string
		body        string
		wantStatus  int // 0: decoded
		wantMessage string
	}{
		{name: "valid", contentType: "application/json", body: `{"url":"https://go.dev","count":2}`},
		{name: "charset parameter", contentType: "application/json; charset=utf-8", body: `{"url":"x"}`},
		{name: "upper case", contentType: "Application/JSON", body: `{"url":"x"}`},
		{name: "text/plain", contentType: "text/plain", body: `{"url":"x"}`, wantStatus: 415, wantMessage: "Content-Type must be application/json"},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: "url=x", wantStatus: 415, wantMessage: "Content-Type must be application/json"},
		{name: "no content type", body: `{"url":"x"}`, wantStatus: 415, wantMessage: "Content-Type must be application/json"},
		{name: "json suffix type", contentType: "application/vnd.api+json", body: `{}`, wantStatus: 415, wantMessage: "Content-Type must be application/json"},
		{name: "number for a string", contentType: "application/json", body: `{"url":1}`, wantStatus: 400, wantMessage: `field "url" must be a string`},
		{name: "string for an integer", contentType: "application/json", body: `{"count":"2"}`, wantStatus: 400, wantMessage: `field "count" must be an integer`},
		{name: "object for an array", contentType: "application/json", body: `{"tags":{}}`, wantStatus: 400, wantMessage: `field "tags" must be an array`},
		{name: "not an object", contentType: "application/json", body: `[1]`, wantStatus: 400, wantMessage: "request body must be a JSON object"},
		{name: "syntax", contentType: "application/json", body: `{"url" "x"}`, wantStatus: 400, wantMessage: "malformed JSON: syntax error at byte 8"},
		{name: "truncated", contentType: "application/json", body: `{"url":`, wantStatus: 400, wantMessage: "malformed JSON: the body ends too early"},
		{name: "empty", contentType: "application/json", body: ``, wantStatus: 400, wantMessage: "request body is empty; send a JSON object"},
		{name: "unknown field", contentType: "application/json", body: `{"code":"x"}`, wantStatus: 400, wantMessage: `unknown field "code"`},
		{name: "trailing data", contentType: "application/json", body: `{"url":"x"} {}`, wantStatus: 400, wantMessage: "unexpected data after the JSON object"},
		{name: "too large", contentType: "application/json", body: `{"url":"` + strings.Repeat("x", 100) + `"}`, wantStatus: 413, wantMessage: "request body larger than 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequestWithContext(t.Context(), method, "/", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			var v request
			err := jsonbody.Decode(httptest.NewRecorder(), r, 64, &v)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("Decode = %v, want nil", err)
				}
				return
			}
			bodyErr, ok := errors.AsType[*jsonbody.Error](err)
			if !ok {
				t.Fatalf("Decode = %v (%T), want *jsonbody.Error", err, err)
			}
			if bodyErr.Status != tt.wantStatus || bodyErr.Message != tt.wantMessage {
				t.Errorf("Decode = %d %q, want %d %q", bodyErr.Status, bodyErr.Message, tt.wantStatus, tt.wantMessage)
			}
			for _, leak := range []string{"struct", "Go", "jsonbody", "json:", "request."} {
				if strings.Contains(bodyErr.Message, leak) {
					t.Errorf("message %q shows Go internals (%q)", bodyErr.Message, leak)
				}
			}
		})
	}
}

func TestCheckContentTypeLetsBodylessRequestsPass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		body   string
		want   bool // refused
	}{
		{method: http.MethodGet},
		{method: http.MethodHead},
		{method: http.MethodOptions},
		{method: http.MethodDelete},
		{method: http.MethodDelete, body: "x=1", want: true},
		{method: http.MethodPost, want: true},
		{method: http.MethodPut, body: "x", want: true},
		{method: http.MethodPatch, body: "x", want: true},
	}
	for _, tt := range tests {
		r := httptest.NewRequestWithContext(t.Context(), tt.method, "/", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "text/plain")
		if got := jsonbody.CheckContentType(r) != nil; got != tt.want {
			t.Errorf("%s with body %q: refused = %v, want %v", tt.method, tt.body, got, tt.want)
		}
	}
}
