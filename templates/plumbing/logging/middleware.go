package logging

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// RequestIDHeader carries the request ID in and out.
const RequestIDHeader = "X-Request-ID"

// maxRequestIDLength bounds a caller-supplied request ID; a longer one is replaced.
const maxRequestIDLength = 128

// quietPaths are probed or scraped every few seconds: their access lines are logged at Debug.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

type accessKey struct{}

// access collects what inner handlers add to the request's access-log line.
type access struct {
	mu    sync.Mutex
	attrs []slog.Attr
	// level, when set, is the line's level unless the response is a 5xx.
	level    slog.Level
	levelSet bool
}

// AddAccessAttrs adds attributes to the access-log line of the request ctx belongs to (a router
// adds its route pattern, say). Outside Middleware it does nothing.
func AddAccessAttrs(ctx context.Context, attrs ...slog.Attr) {
	a, ok := ctx.Value(accessKey{}).(*access)
	if !ok {
		return
	}
	a.mu.Lock()
	a.attrs = append(a.attrs, attrs...)
	a.mu.Unlock()
}

// SetAccessLevel sets the level of the access-log line of the request ctx belongs to: a route
// too busy to log every request at Info (redirects, say) logs its lines at Debug. A 5xx is logged
// at Error whatever the level set. Outside Middleware it does nothing.
func SetAccessLevel(ctx context.Context, level slog.Level) {
	a, ok := ctx.Value(accessKey{}).(*access)
	if !ok {
		return
	}
	a.mu.Lock()
	a.level, a.levelSet = level, true
	a.mu.Unlock()
}

// Middleware gives every request an ID (the caller's X-Request-ID when it is sane, else a new
// one; echoed in the response and carried in the context, so every log line of the request has
// it), turns a panic into a logged 500, and writes one access-log line per request: at Error for
// 5xx, else at the level SetAccessLevel set, else at Debug for probes and scrapes, Info otherwise.
func Middleware(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := r.Header.Get(RequestIDHeader)
			if !validRequestID(id) {
				id = rand.Text()
			}
			w.Header().Set(RequestIDHeader, id)
			acc := &access{}
			ctx := context.WithValue(WithRequestID(r.Context(), id), accessKey{}, acc)
			r = r.WithContext(ctx)
			rw := &responseWriter{ResponseWriter: w, status: http.StatusOK}

			defer func() {
				if rec := recover(); rec != nil {
					if err, ok := rec.(error); ok && errors.Is(err, http.ErrAbortHandler) {
						panic(rec)
					}
					logger.ErrorContext(ctx, "panic in handler",
						slog.Any("panic", rec), slog.String("stack", string(debug.Stack())))
					if !rw.wroteHeader {
						writeInternalError(rw)
					} else {
						rw.status = http.StatusInternalServerError
					}
				}
				logAccess(ctx, logger, r, rw, time.Since(start), acc)
			}()
			next.ServeHTTP(rw, r)
		})
	}
}

func logAccess(ctx context.Context, logger *slog.Logger, r *http.Request, rw *responseWriter, elapsed time.Duration, acc *access) {
	acc.mu.Lock()
	level, levelSet := acc.level, acc.levelSet
	acc.mu.Unlock()
	switch {
	case rw.status >= http.StatusInternalServerError:
		level = slog.LevelError
	case levelSet: // the handler's choice
	case quietPaths[r.URL.Path]:
		level = slog.LevelDebug
	default:
		level = slog.LevelInfo
	}
	if !logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rw.status),
		slog.Duration("duration", elapsed),
		slog.Int64("bytes", rw.bytes),
		slog.String("remote_addr", r.RemoteAddr),
	}
	acc.mu.Lock()
	attrs = append(attrs, acc.attrs...)
	acc.mu.Unlock()
	logger.LogAttrs(ctx, level, "http request", attrs...)
}

func writeInternalError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": "internal error"}) // the client may be gone
}

// validRequestID accepts printable ASCII without spaces, up to maxRequestIDLength bytes: an ID
// that cannot break a log line or a header.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

// responseWriter records the status and size of a response. It keeps Flush and Hijack working
// (streaming, WebSocket upgrades) and unwraps for http.ResponseController.
type responseWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *responseWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status = status
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *responseWriter) Flush() {
	w.wroteHeader = true
	_ = http.NewResponseController(w.ResponseWriter).Flush() // nothing to report to: the handler asked for a best-effort flush
}

func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status = http.StatusSwitchingProtocols
		w.wroteHeader = true
	}
	return conn, rw, err //nolint:wrapcheck // the caller expects the Hijacker's own errors
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
