package httpserver

import (
	"log/slog"
	"net/http"
	"net/http/pprof" //nolint:gosec // G108: served only on the separate admin listener, never on the public handler.
	"time"
)

// adminWriteTimeout leaves room for CPU profiles and execution traces of up to a minute.
const adminWriteTimeout = 90 * time.Second

// NewAdmin returns the admin server: the pprof endpoints under /debug/pprof/. Bind it to
// loopback (e.g. 127.0.0.1:6060): profiles expose the program's internals.
func NewAdmin(addr string, logger *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	srv := New(addr, mux, logger)
	srv.WriteTimeout = adminWriteTimeout
	return srv
}
