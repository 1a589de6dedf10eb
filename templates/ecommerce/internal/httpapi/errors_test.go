package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/plumbing/logging"
	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/httpapi"
)

// stalledCatalog's reads wait for their context to end; its Get panics for the nil ID.
type stalledCatalog struct{ catalog.Repository }

func (stalledCatalog) List(ctx context.Context, _ catalog.ListQuery) (catalog.Page, error) {
	<-ctx.Done()
	return catalog.Page{}, ctx.Err()
}

func (s stalledCatalog) Get(ctx context.Context, id uuid.UUID) (catalog.Product, error) {
	if id == uuid.Max {
		panic("a bug")
	}
	return s.Repository.Get(ctx, id)
}

func TestErrorsAreProblems(t *testing.T) {
	t.Parallel()
	var logs testserve.Buffer
	f := newFixture(t, fixtureOptions{
		wrapCatalog: func(r catalog.Repository) catalog.Repository { return stalledCatalog{r} },
		edit: func(o *httpapi.Options) {
			o.RequestTimeout = 20 * time.Millisecond
			o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		},
	})
	tests := []struct {
		name, method, path string
		want               int
		wantHeader         string
	}{
		{"unknown route", http.MethodGet, "/v1/nothing", http.StatusNotFound, ""},
		{"outside the API", http.MethodGet, "/", http.StatusNotFound, ""},
		{"method not allowed", http.MethodPatch, "/v1/products", http.StatusMethodNotAllowed, "Allow"},
		{"storage too slow", http.MethodGet, "/v1/products", http.StatusServiceUnavailable, ""},
		{"a handler panics", http.MethodGet, "/v1/products/" + uuid.Max.String(), http.StatusInternalServerError, ""},
	}
	t.Run("requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				res := f.do(t, call{method: tt.method, path: tt.path})
				res.want(t, tt.want)
				if tt.wantHeader != "" && res.header.Get(tt.wantHeader) == "" {
					t.Errorf("no %s header", tt.wantHeader)
				}
				if p := res.problem(t); p.Instance == nil || *p.Instance != tt.path {
					t.Errorf("instance %v, want %s", p.Instance, tt.path)
				}
				if strings.Contains(string(res.body), "a bug") || strings.Contains(string(res.body), "goroutine") {
					t.Errorf("the problem tells internals: %s", res.body)
				}
			})
		}
	})
	out := logs.String()
	if !strings.Contains(out, "a bug") || !strings.Contains(out, `"status":500`) || !strings.Contains(out, "deadline exceeded") {
		t.Errorf("5xx causes are not logged: %s", out)
	}
}

// Behind logging.Middleware, as cmd serves it, a problem carries the request ID.
func TestProblemCarriesRequestID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	h := logging.Middleware(slog.New(slog.DiscardHandler))(f.handler)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/v1/products/"+uuid.NewString(), nil)
	req.Header.Set("X-Request-ID", "req-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := result{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	res.want(t, http.StatusNotFound)
	if p := res.problem(t); p.RequestId == nil || *p.RequestId != "req-42" {
		t.Errorf("request_id %v, want req-42", p.RequestId)
	}
}

// recorder is a Recorder that keeps what it saw.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) ObserveRequest(route, method string, status int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, method+" "+route+" "+http.StatusText(status))
}

func TestExtraHandlersAndRecorder(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := newFixture(t, fixtureOptions{edit: func(o *httpapi.Options) {
		o.Extra = map[string]http.Handler{"/healthz": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"ok"}`))
		})}
		o.Recorder = rec
	}})
	res := f.do(t, call{method: http.MethodGet, path: "/healthz", undocumented: true})
	res.want(t, http.StatusOK)
	if res.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("an extra handler's response lacks the API headers")
	}
	f.do(t, call{method: http.MethodGet, path: "/v1/products/" + uuid.NewString()}).want(t, http.StatusNotFound)
	f.do(t, call{method: http.MethodGet, path: "/v1/nowhere"}).want(t, http.StatusNotFound)
	want := []string{"GET /healthz OK", "GET /v1/products/:id Not Found", "GET unmatched Not Found"}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if strings.Join(rec.seen, "|") != strings.Join(want, "|") {
		t.Errorf("recorded %q, want %q", rec.seen, want)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	good := newFixture(t, fixtureOptions{}).opts
	tests := map[string]func(*httpapi.Options){
		"no logger":            func(o *httpapi.Options) { o.Logger = nil },
		"no catalog":           func(o *httpapi.Options) { o.Catalog = nil },
		"no tokens":            func(o *httpapi.Options) { o.Tokens = nil },
		"negative timeout":     func(o *httpapi.Options) { o.RequestTimeout = -1 },
		"extra inside the API": func(o *httpapi.Options) { o.Extra = map[string]http.Handler{"/v1/x": http.NotFoundHandler()} },
		"extra over the docs":  func(o *httpapi.Options) { o.Extra = map[string]http.Handler{"/openapi.json": http.NotFoundHandler()} },
		"extra relative path":  func(o *httpapi.Options) { o.Extra = map[string]http.Handler{"healthz": http.NotFoundHandler()} },
	}
	for name, edit := range tests {
		opts := good
		edit(&opts)
		if _, err := httpapi.New(t.Context(), opts); err == nil {
			t.Errorf("%s: New accepted the options", name)
		}
	}
}
