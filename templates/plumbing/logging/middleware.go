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

// requestIDHeaderKey is RequestIDHeader in canonical form ("X-Request-Id"), the form header maps
// are keyed by. Middleware indexes the maps with it: Header.Get and Set would canonicalise
// RequestIDHeader into a new string on every request.
var requestIDHeaderKey = http.CanonicalHeaderKey(RequestIDHeader)

// maxRequestIDLength bounds a caller-supplied request ID; a longer one is replaced.
const maxRequestIDLength = 128

// quietPaths are probed or scraped every few seconds: their access lines are logged at Debug.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

type accessKey struct{}

// access collects what inner handlers add to the request's access-log line.
type access struct {
	mu    sync.Mutex
	attrs []slog.Attr
	// inline backs attrs at first: a router's attributes (its route and client IP, say) then cost
	// no allocation of their own.
	inline [2]slog.Attr
	// level, when set, is the line's level unless the response is a 5xx.
	level    slog.Level
	levelSet bool
	// logger writes the line; quiet is set for a path probed or scraped every few seconds.
	logger *slog.Logger
	quiet  bool
}

// AddAccessAttrs adds attributes to the access-log line of the request ctx belongs to (a router
// adds its route pattern, say). Outside Middleware it does nothing.
// An attribute that costs something to compute (the client IP, say) is worth adding only when
// AccessLogEnabled says the line will be written.
func AddAccessAttrs(ctx context.Context, attrs ...slog.Attr) {
	a, ok := ctx.Value(accessKey{}).(*access)
	if !ok {
		return
	}
	a.mu.Lock()
	if a.attrs == nil {
		a.attrs = a.inline[:0]
	}
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

// AccessLogEnabled reports whether the access-log line of the request ctx belongs to will be
// written if the response has the given status. Outside Middleware it reports false.
func AccessLogEnabled(ctx context.Context, status int) bool {
	a, ok := ctx.Value(accessKey{}).(*access)
	if !ok {
		return false
	}
	_, enabled := a.lineLevel(ctx, status)
	return enabled
}

// lineLevel is the level of the access-log line for a response with the given status, and whether
// the logger writes lines of that level.
func (a *access) lineLevel(ctx context.Context, status int) (slog.Level, bool) {
	a.mu.Lock()
	level := a.levelFor(status)
	a.mu.Unlock()
	return level, a.logger.Enabled(ctx, level)
}

// levelFor is the level of the access-log line for a response with the given status; a.mu must be
// held.
func (a *access) levelFor(status int) slog.Level {
	switch {
	case status >= http.StatusInternalServerError:
		return slog.LevelError
	case a.levelSet: // the handler's choice
		return a.level
	case a.quiet:
		return slog.LevelDebug
	default:
		return slog.LevelInfo
	}
}

// Middleware gives every request an ID (the caller's X-Request-ID when it is sane, else a new
// one; echoed in the response and carried in the context, so every log line of the request has
// it), turns a panic into a logged 500, and writes one access-log line per request: at Error for
// 5xx, else at the level SetAccessLevel set, else at Debug for probes and scrapes, Info otherwise.
func Middleware(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := firstValue(r.Header[requestIDHeaderKey])
			if !validRequestID(id) {
				id = rand.Text()
			}
			ctx, state := newRequestContext(r.Context(), id, w, logger, quietPaths[r.URL.Path])
			w.Header()[requestIDHeaderKey] = state.idHeader[:]
			r = r.WithContext(ctx)
			rw := &state.rw

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
				logAccess(ctx, r, rw, start, &state.access)
			}()
			next.ServeHTTP(rw, r)
		})
	}
}

// requestContext is the context Middleware gives a request's handler: it carries the request ID
// and the access-log state. With the response writer and the ID's header value beside them, it is
// all Middleware allocates for a request, where context.WithValue would allocate a context and a
// boxed value per key, and each of the others would take one more allocation.
type requestContext struct {
	context.Context
	id string
	// idHeader is the response's X-Request-ID header value: id, with no room to append (len ==
	// cap), so that Header.Add copies it.
	idHeader [1]string
	access   access
	rw       responseWriter
}

// newRequestContext returns the context of a request with ID id, whose response goes to w and
// whose access-log line to logger (at Debug when quiet): as the context.Context for the handler,
// derived from parent, and as itself, for Middleware's use of its other fields.
func newRequestContext(parent context.Context, id string, w http.ResponseWriter, logger *slog.Logger, quiet bool) (context.Context, *requestContext) {
	c := &requestContext{Context: parent, id: id, idHeader: [1]string{id}}
	c.access.logger, c.access.quiet = logger, quiet
	c.rw = responseWriter{ResponseWriter: w, status: http.StatusOK}
	return c, c
}

// Value answers the keys of RequestID and of the access-log functions; the parent answers others.
func (c *requestContext) Value(key any) any {
	switch key.(type) {
	case requestIDKey:
		return c.id
	case accessKey:
		return &c.access
	}
	return c.Context.Value(key)
}

// logAccess writes the access-log line of a request that started at start, unless its level is
// disabled: then it does not even read the clock.
func logAccess(ctx context.Context, r *http.Request, rw *responseWriter, start time.Time, acc *access) {
	level, enabled := acc.lineLevel(ctx, rw.status)
	if !enabled {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rw.status),
		slog.Duration("duration", time.Since(start)),
		slog.Int64("bytes", rw.bytes),
		slog.String("remote_addr", r.RemoteAddr),
	}
	acc.mu.Lock()
	attrs = append(attrs, acc.attrs...)
	acc.mu.Unlock()
	acc.logger.LogAttrs(ctx, level, "http request", attrs...)
}

// firstValue returns the first of a header's values, or "", as Header.Get does.
func firstValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
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
