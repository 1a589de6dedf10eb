package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path       string
		requestID  string
		handler    http.HandlerFunc
		wantStatus int
		wantLevel  string // of the access line; "" when none is expected at Info
		wantID     func(string) bool
		wantAttr   [2]string
	}{
		{
			name: "keeps a sane request ID", path: "/links", requestID: "abc-123",
			handler:    func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) },
			wantStatus: http.StatusCreated, wantLevel: "INFO",
			wantID: func(id string) bool { return id == "abc-123" },
		},
		{
			name: "replaces a request ID that could break a log line", path: "/links", requestID: "a b\x01",
			handler:    func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) },
			wantStatus: http.StatusOK, wantLevel: "INFO",
			wantID: func(id string) bool { return id != "a b\x01" && validRequestID(id) },
		},
		{
			name: "replaces an overlong request ID", path: "/links", requestID: strings.Repeat("x", maxRequestIDLength+1),
			handler:    func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) },
			wantStatus: http.StatusNoContent, wantLevel: "INFO",
			wantID: func(id string) bool { return len(id) <= maxRequestIDLength },
		},
		{
			name: "recovers a panic as a logged 500", path: "/boom",
			handler:    func(http.ResponseWriter, *http.Request) { panic("kaboom") },
			wantStatus: http.StatusInternalServerError, wantLevel: "ERROR",
			wantID: validRequestID,
		},
		{
			name: "logs probes at debug only", path: "/healthz",
			handler:    func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) },
			wantStatus: http.StatusOK, wantLevel: "",
			wantID: validRequestID,
		},
		{
			name: "logs at debug only when the handler says so", path: "/r/abc",
			handler: func(w http.ResponseWriter, r *http.Request) {
				SetAccessLevel(r.Context(), slog.LevelDebug)
				w.WriteHeader(http.StatusFound)
			},
			wantStatus: http.StatusFound, wantLevel: "",
			wantID: validRequestID,
		},
		{
			name: "logs at the level the handler sets", path: "/healthz",
			handler: func(w http.ResponseWriter, r *http.Request) {
				SetAccessLevel(r.Context(), slog.LevelWarn)
				w.WriteHeader(http.StatusOK)
			},
			wantStatus: http.StatusOK, wantLevel: "WARN",
			wantID: validRequestID,
		},
		{
			name: "logs a 5xx at error whatever the level set", path: "/r/abc",
			handler: func(w http.ResponseWriter, r *http.Request) {
				SetAccessLevel(r.Context(), slog.LevelDebug)
				w.WriteHeader(http.StatusServiceUnavailable)
			},
			wantStatus: http.StatusServiceUnavailable, wantLevel: "ERROR",
			wantID: validRequestID,
		},
		{
			name: "carries attributes inner handlers add", path: "/r/abc",
			handler: func(w http.ResponseWriter, r *http.Request) {
				AddAccessAttrs(r.Context(), slog.String("route", "/r/:code"))
				w.WriteHeader(http.StatusFound)
			},
			wantStatus: http.StatusFound, wantLevel: "INFO",
			wantID: validRequestID, wantAttr: [2]string{"route", "/r/:code"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			logger := New(&buf, slog.LevelInfo)
			var seenID string
			h := Middleware(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seenID = RequestID(r.Context())
				tt.handler(w, r)
			}))
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, tt.path, http.NoBody)
			if tt.requestID != "" {
				req.Header.Set(RequestIDHeader, tt.requestID)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			id := rec.Header().Get(RequestIDHeader)
			if !tt.wantID(id) || id != seenID {
				t.Errorf("request ID: echoed %q, handler saw %q", id, seenID)
			}
			var access map[string]any
			for _, line := range logLines(t, &buf) {
				if line["request_id"] != id {
					t.Errorf("log line without the request ID: %v", line)
				}
				if line["msg"] == "http request" {
					access = line
				}
			}
			if tt.wantLevel == "" {
				if access != nil {
					t.Errorf("access line at Info, want it at Debug: %v", access)
				}
				return
			}
			if access == nil {
				t.Fatalf("no access line in %q", buf.String())
			}
			if access["level"] != tt.wantLevel || access["status"] != float64(tt.wantStatus) || access["path"] != tt.path {
				t.Errorf("access line = %v", access)
			}
			if tt.wantAttr[0] != "" && access[tt.wantAttr[0]] != tt.wantAttr[1] {
				t.Errorf("access line lacks %s=%s: %v", tt.wantAttr[0], tt.wantAttr[1], access)
			}
		})
	}
}

func TestMiddlewareRepanicsAbortHandler(t *testing.T) {
	t.Parallel()
	h := Middleware(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		rec := recover()
		if err, ok := rec.(error); !ok || !errors.Is(err, http.ErrAbortHandler) {
			t.Errorf("recovered %v, want http.ErrAbortHandler to propagate", rec)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", http.NoBody))
}

func TestMiddlewareKeepsFlusher(t *testing.T) {
	t.Parallel()
	h := Middleware(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the wrapped writer is not an http.Flusher")
		}
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", http.NoBody))
	if !rec.Flushed {
		t.Error("the flush did not reach the underlying writer")
	}
}

func FuzzValidRequestID(f *testing.F) {
	for _, seed := range []string{"", "abc", "a b", "\x00", strings.Repeat("z", 200), "ü"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !validRequestID(id) {
			return
		}
		if len(id) > maxRequestIDLength || strings.ContainsAny(id, " \r\n\t") {
			t.Fatalf("accepted %q", id)
		}
		h := http.Header{}
		h.Set(RequestIDHeader, id)
		if h.Get(RequestIDHeader) != id {
			t.Fatalf("%q does not survive a header round trip", id)
		}
	})
}

// TestAccessLogEnabled: AccessLogEnabled answers true exactly when the access line is written.
func TestAccessLogEnabled(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		logger   slog.Level
		setLevel *slog.Level // SetAccessLevel's, if called
		path     string
		status   int
		want     bool
	}{
		{name: "info line, info logger", logger: slog.LevelInfo, path: "/x", status: http.StatusOK, want: true},
		{name: "debug route, info logger", logger: slog.LevelInfo, setLevel: new(slog.LevelDebug), path: "/x", status: http.StatusFound, want: false},
		{name: "debug route, debug logger", logger: slog.LevelDebug, setLevel: new(slog.LevelDebug), path: "/x", status: http.StatusFound, want: true},
		{name: "debug route fails", logger: slog.LevelInfo, setLevel: new(slog.LevelDebug), path: "/x", status: http.StatusBadGateway, want: true},
		{name: "probe", logger: slog.LevelInfo, path: "/healthz", status: http.StatusOK, want: false},
		{name: "warn route, error logger", logger: slog.LevelError, setLevel: new(slog.LevelWarn), path: "/x", status: http.StatusOK, want: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			var got bool
			h := Middleware(New(&buf, tt.logger))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.setLevel != nil {
					SetAccessLevel(r.Context(), *tt.setLevel)
				}
				got = AccessLogEnabled(r.Context(), tt.status)
				w.WriteHeader(tt.status)
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, tt.path, http.NoBody))
			if got != tt.want {
				t.Errorf("AccessLogEnabled = %v, want %v", got, tt.want)
			}
			if written := len(logLines(t, &buf)) == 1; written != tt.want {
				t.Errorf("line written = %v, want %v", written, tt.want)
			}
		})
	}
	if AccessLogEnabled(t.Context(), http.StatusOK) {
		t.Error("AccessLogEnabled outside Middleware = true, want false")
	}
}

// TestRequestContext: what the handler's context carries reaches contexts derived from it, more
// attributes than fit in place are all logged, and the context is cancelled with its parent.
func TestRequestContext(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	parent, cancel := context.WithCancel(t.Context())
	var derivedID string
	var parentErr error
	h := Middleware(New(&buf, slog.LevelInfo))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, stop := context.WithTimeout(r.Context(), time.Minute)
		defer stop()
		derivedID = RequestID(ctx)
		for i := range 6 {
			AddAccessAttrs(ctx, slog.Int(fmt.Sprintf("attr%d", i), i))
		}
		SetAccessLevel(ctx, slog.LevelWarn)
		cancel()
		<-ctx.Done()
		parentErr = ctx.Err()
		w.WriteHeader(http.StatusOK)
	}))
	req := httptest.NewRequestWithContext(parent, http.MethodGet, "/x", http.NoBody)
	req.Header.Set(RequestIDHeader, "abc-123")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	if derivedID != "abc-123" || rec.Header().Get(RequestIDHeader) != "abc-123" {
		t.Errorf("request ID in a derived context %q, echoed %q; want abc-123", derivedID, rec.Header().Get(RequestIDHeader))
	}
	if !errors.Is(parentErr, context.Canceled) {
		t.Errorf("context error after the parent's cancel = %v, want context.Canceled", parentErr)
	}
	lines := logLines(t, &buf)
	if len(lines) != 1 || lines[0]["level"] != "WARN" || lines[0]["request_id"] != "abc-123" {
		t.Fatalf("want one access line at WARN with the request ID, got %v", lines)
	}
	for i := range 6 {
		if got := lines[0][fmt.Sprintf("attr%d", i)]; got != float64(i) {
			t.Errorf("attr%d = %v, want %d", i, got, i)
		}
	}
}
