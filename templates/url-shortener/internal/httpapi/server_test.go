package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/gopher-template/plumbing/health"
	"example.com/gopher-template/plumbing/logging"

	"example.com/gopher-template/url-shortener/internal/httpapi"
	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/link/linktest"
	"example.com/gopher-template/url-shortener/internal/metrics"
)

const (
	baseURL = "https://sho.rt"
	// codeLength differs from the default on purpose: the length is configurable.
	codeLength = 9
	// appName names the metrics of the tests' servers.
	appName = "test-app"
)

func TestMain(m *testing.M) {
	// Gin's mode is process-wide: set it once, here, to silence its debug output.
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

type testServer struct {
	handler http.Handler
	cache   *linktest.Cache
	now     time.Time
}

type option func(*httpapi.Options, *[]health.Check)

func withToken(token string) option {
	return func(o *httpapi.Options, _ *[]health.Check) { o.APIToken = token }
}

func withBurst(burst int) option {
	return func(o *httpapi.Options, _ *[]health.Check) { o.RateLimitBurst = burst }
}

func withCheck(name string, required bool, err error) option {
	return func(_ *httpapi.Options, checks *[]health.Check) {
		*checks = append(*checks, health.Check{Name: name, Required: required, Check: func(context.Context) error { return err }})
	}
}

func newMetrics(tb testing.TB) *metrics.Metrics {
	tb.Helper()
	m, err := metrics.New(metrics.Namespace(appName))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// newHandler builds the handler as run does, around svc.
func newHandler(tb testing.TB, svc *link.Service, m *metrics.Metrics, opts httpapi.Options, checks ...health.Check) http.Handler {
	tb.Helper()
	h, err := httpapi.NewServer(slog.New(slog.DiscardHandler), opts, svc, m, checks...)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func newService(tb testing.TB, repo link.Repository, cache link.Cache, hits link.HitCounter, opts link.Options) *link.Service {
	tb.Helper()
	svc, err := link.NewService(slog.New(slog.DiscardHandler), repo, cache, hits, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

func newTestServer(tb testing.TB, opts ...option) *testServer {
	tb.Helper()
	httpOpts := httpapi.Options{BaseURL: baseURL, RateLimitRPS: 1, RateLimitBurst: 1000}
	var checks []health.Check
	for _, o := range opts {
		o(&httpOpts, &checks)
	}
	ts := &testServer{cache: linktest.NewCache(), now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := newMetrics(tb)
	svc := newService(tb, linktest.NewRepository(), ts.cache, linktest.NewHits(), link.Options{
		CodeLength: codeLength,
		Recorder:   m,
		Now:        func() time.Time { return ts.now },
	})
	ts.handler = newHandler(tb, svc, m, httpOpts, checks...)
	return ts
}

func TestNewServerRejectsBadProxies(t *testing.T) {
	t.Parallel()
	svc := newService(t, linktest.NewRepository(), linktest.NewCache(), linktest.NewHits(), link.Options{CodeLength: codeLength})
	m := newMetrics(t)
	if _, err := httpapi.NewServer(slog.New(slog.DiscardHandler), httpapi.Options{TrustedProxies: []string{"proxy.local"}}, svc, m); err == nil {
		t.Fatal("NewServer() accepted a proxy that is neither an IP nor a CIDR")
	}
}

type request struct {
	method string
	target string
	// body, when set, is sent as application/json unless headers say otherwise.
	body string
	// headers are set on the request; an empty value removes the header.
	headers map[string]string
}

func (ts *testServer) do(tb testing.TB, r request) *httptest.ResponseRecorder {
	tb.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequestWithContext(tb.Context(), r.method, r.target, body)
	req.RemoteAddr = "192.0.2.10:5555"
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	ts.handler.ServeHTTP(rec, req)
	return rec
}

type linkJSON struct {
	Code      string     `json:"code"`
	URL       string     `json:"url"`
	ShortURL  string     `json:"short_url"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	Hits      int64      `json:"hits"`
}

func decode[T any](tb testing.TB, rec *httptest.ResponseRecorder) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		tb.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return v
}

func (ts *testServer) create(tb testing.TB, body string, headers map[string]string) linkJSON {
	tb.Helper()
	rec := ts.do(tb, request{method: http.MethodPost, target: "/api/v1/links", body: body, headers: headers})
	if rec.Code != http.StatusCreated {
		tb.Fatalf("create %s: status %d: %s", body, rec.Code, rec.Body)
	}
	return decode[linkJSON](tb, rec)
}

func TestCreateLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantError  string
	}{
		{name: "generated code", body: `{"url":"https://example.org/a?b=1&c=2"}`, wantStatus: http.StatusCreated},
		{name: "alias", body: `{"url":"https://example.org","alias":"my-alias"}`, wantStatus: http.StatusCreated},
		{name: "alias taken", body: `{"url":"https://example.org","alias":"taken"}`, wantStatus: http.StatusConflict, wantError: "alias already taken"},
		{name: "invalid alias", body: `{"url":"https://example.org","alias":"no"}`, wantStatus: http.StatusBadRequest, wantError: "invalid alias"},
		{name: "expires in future", body: `{"url":"https://example.org","expires_at":"2030-01-02T00:00:00Z"}`, wantStatus: http.StatusCreated},
		{name: "expires in past", body: `{"url":"https://example.org","expires_at":"2029-12-31T00:00:00Z"}`, wantStatus: http.StatusBadRequest, wantError: "invalid expires_at"},
		{name: "ftp url", body: `{"url":"ftp://example.org"}`, wantStatus: http.StatusBadRequest, wantError: "invalid url"},
		{name: "missing url", body: `{}`, wantStatus: http.StatusBadRequest, wantError: "invalid url"},
		{name: "too long url", body: `{"url":"https://example.org/` + strings.Repeat("a", link.MaxURLLength) + `"}`, wantStatus: http.StatusBadRequest, wantError: "invalid url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			ts.create(t, `{"url":"https://example.org","alias":"taken"}`, nil)

			rec := ts.do(t, request{method: http.MethodPost, target: "/api/v1/links", body: tt.body})
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.wantError != "" {
				if got := decode[map[string]string](t, rec)["error"]; !strings.Contains(got, tt.wantError) {
					t.Errorf("error = %q, want it to contain %q", got, tt.wantError)
				}
				return
			}
			checkCreated(t, rec, tt.body)
		})
	}
}

// checkCreated checks that rec answers the creation request body with a
// matching new link.
func checkCreated(t *testing.T, rec *httptest.ResponseRecorder, body string) {
	t.Helper()
	got := decode[linkJSON](t, rec)
	var req struct {
		URL       string     `json:"url"`
		Alias     string     `json:"alias"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	if got.URL != req.URL || got.ShortURL != baseURL+"/"+got.Code || got.Hits != 0 || got.CreatedAt.IsZero() {
		t.Errorf("unexpected link %+v", got)
	}
	if req.Alias != "" && got.Code != req.Alias {
		t.Errorf("code = %q, want alias %q", got.Code, req.Alias)
	}
	if req.Alias == "" && len(got.Code) != codeLength {
		t.Errorf("generated code %q, want %d characters", got.Code, codeLength)
	}
	if (req.ExpiresAt == nil) != (got.ExpiresAt == nil) {
		t.Errorf("expires_at = %v, want %v", got.ExpiresAt, req.ExpiresAt)
	}
	if loc := rec.Header().Get("Location"); loc != "/api/v1/links/"+got.Code {
		t.Errorf("Location = %q", loc)
	}
}

func TestCreateLinkExpiresAtIsNullWhenUnset(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	rec := ts.do(t, request{method: http.MethodPost, target: "/api/v1/links", body: `{"url":"https://example.org/?a=1&b=2"}`})
	if !strings.Contains(rec.Body.String(), `"expires_at":null`) {
		t.Errorf("body %s lacks \"expires_at\":null", rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `?a=1&b=2`) {
		t.Errorf("body %s escapes the URL", rec.Body)
	}
}

func TestRedirect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		code         string
		advance      time.Duration
		wantStatus   int
		wantLocation string
	}{
		{name: "found", code: "live", wantStatus: http.StatusFound, wantLocation: "https://example.org/live"},
		{name: "unknown", code: "unknown", wantStatus: http.StatusNotFound},
		{name: "not a code", code: "no.such", wantStatus: http.StatusNotFound},
		{name: "expired", code: "short-lived", advance: 2 * time.Hour, wantStatus: http.StatusGone},
		{name: "not yet expired", code: "short-lived", advance: 30 * time.Minute, wantStatus: http.StatusFound, wantLocation: "https://example.org/soon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			ts.create(t, `{"url":"https://example.org/live","alias":"live"}`, nil)
			ts.create(t, fmt.Sprintf(`{"url":"https://example.org/soon","alias":"short-lived","expires_at":%q}`,
				ts.now.Add(time.Hour).Format(time.RFC3339)), nil)
			ts.now = ts.now.Add(tt.advance)

			rec := ts.do(t, request{method: http.MethodGet, target: "/" + tt.code})
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if loc := rec.Header().Get("Location"); loc != tt.wantLocation {
				t.Errorf("Location = %q, want %q", loc, tt.wantLocation)
			}
		})
	}
}

// TestAccessLogLevels: the access-log lines of redirects, by far the busiest
// route, are at Debug; the API's stay at Info.
func TestAccessLogLevels(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := logging.New(&buf, slog.LevelDebug)
	svc := newService(t, linktest.NewRepository(), linktest.NewCache(), linktest.NewHits(), link.Options{CodeLength: codeLength})
	h, err := httpapi.NewServer(logger, httpapi.Options{BaseURL: baseURL, RateLimitRPS: 1, RateLimitBurst: 10}, svc, newMetrics(t))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{handler: h}
	ts.create(t, `{"url":"https://example.org/logged","alias":"logged"}`, nil)

	tests := []struct {
		target    string
		wantLevel string
	}{
		{target: "/logged", wantLevel: "DEBUG"},
		{target: "/unknown", wantLevel: "DEBUG"},
		{target: "/api/v1/links/logged", wantLevel: "INFO"},
	}
	for _, tt := range tests {
		buf.Reset()
		ts.do(t, request{method: http.MethodGet, target: tt.target})
		var line struct {
			Msg   string `json:"msg"`
			Level string `json:"level"`
			Path  string `json:"path"`
		}
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line.Msg != "http request" || line.Path != tt.target {
			t.Fatalf("GET %s: want one access-log line, got %q (%v)", tt.target, buf.String(), err)
		}
		if line.Level != tt.wantLevel {
			t.Errorf("GET %s: access-log line at %s, want %s", tt.target, line.Level, tt.wantLevel)
		}
	}
}

func TestRedirectUsesCacheAndSurvivesCacheFailure(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	created := ts.create(t, `{"url":"https://example.org/cached"}`, nil)
	for range 3 {
		if rec := ts.do(t, request{method: http.MethodGet, target: "/" + created.Code}); rec.Code != http.StatusFound {
			t.Fatalf("status = %d", rec.Code)
		}
	}
	// Creating the link cached it: every redirect was served by the cache.
	if hits, misses := ts.cache.Stats(); hits != 3 || misses != 0 {
		t.Errorf("cache hits/misses = %d/%d, want 3/0", hits, misses)
	}

	ts.cache.Err = errors.New("redis down")
	if rec := ts.do(t, request{method: http.MethodGet, target: "/" + created.Code}); rec.Code != http.StatusFound {
		t.Fatalf("with cache down: status = %d, want 302", rec.Code)
	}

	stats := decode[linkJSON](t, ts.do(t, request{method: http.MethodGet, target: "/api/v1/links/" + created.Code}))
	if stats.Hits != 4 {
		t.Errorf("hits = %d, want 4", stats.Hits)
	}
}

func TestGetAndDeleteLink(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.create(t, `{"url":"https://example.org","alias":"doomed"}`, nil)

	steps := []struct {
		method     string
		target     string
		wantStatus int
	}{
		{http.MethodGet, "/api/v1/links/doomed", http.StatusOK},
		{http.MethodGet, "/api/v1/links/missing", http.StatusNotFound},
		{http.MethodDelete, "/api/v1/links/doomed", http.StatusNoContent},
		{http.MethodDelete, "/api/v1/links/doomed", http.StatusNotFound},
		{http.MethodGet, "/api/v1/links/doomed", http.StatusNotFound},
		{http.MethodGet, "/doomed", http.StatusNotFound},
	}
	for _, s := range steps {
		if rec := ts.do(t, request{method: s.method, target: s.target}); rec.Code != s.wantStatus {
			t.Fatalf("%s %s: status = %d, want %d: %s", s.method, s.target, rec.Code, s.wantStatus, rec.Body)
		}
	}
}

func TestListLinks(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	const total = 5
	for i := range total {
		ts.create(t, fmt.Sprintf(`{"url":"https://example.org/%d"}`, i), nil)
	}

	type page struct {
		Links      []linkJSON `json:"links"`
		NextCursor string     `json:"next_cursor"`
	}
	var urls []string
	target := "/api/v1/links?limit=2"
	for pages := 0; ; pages++ {
		if pages > total {
			t.Fatal("pagination does not terminate")
		}
		rec := ts.do(t, request{method: http.MethodGet, target: target})
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d: %s", rec.Code, rec.Body)
		}
		p := decode[page](t, rec)
		for _, l := range p.Links {
			urls = append(urls, l.URL)
		}
		if p.NextCursor == "" {
			break
		}
		target = "/api/v1/links?limit=2&cursor=" + p.NextCursor
	}
	want := "[https://example.org/4 https://example.org/3 https://example.org/2 https://example.org/1 https://example.org/0]"
	if got := fmt.Sprint(urls); got != want {
		t.Errorf("urls = %s, want %s (newest first, each once)", got, want)
	}

	if rec := ts.do(t, request{method: http.MethodGet, target: "/api/v1/links"}); !strings.Contains(rec.Body.String(), `"next_cursor":""`) {
		t.Errorf("default page: %s", rec.Body)
	}
	for _, bad := range []string{"limit=0", "limit=101", "limit=ten", "cursor=%21%21"} {
		if rec := ts.do(t, request{method: http.MethodGet, target: "/api/v1/links?" + bad}); rec.Code != http.StatusBadRequest {
			t.Errorf("?%s: status = %d, want 400", bad, rec.Code)
		}
	}
	// A cursor that is not base64 is malformed, in our words, not base64's.
	rec := ts.do(t, request{method: http.MethodGet, target: "/api/v1/links?cursor=%21%21"})
	if got := decode[map[string]string](t, rec)["error"]; got != "invalid cursor: malformed" {
		t.Errorf("bad cursor: error = %q, want %q", got, "invalid cursor: malformed")
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, withBurst(2))
	body := `{"url":"https://example.org"}`
	for range 2 {
		ts.create(t, body, nil)
	}
	rec := ts.do(t, request{method: http.MethodPost, target: "/api/v1/links", body: body})
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", rec.Code)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q, want 1", ra)
	}
	// Reads and redirects are not limited.
	if rec := ts.do(t, request{method: http.MethodGet, target: "/api/v1/links"}); rec.Code != http.StatusOK {
		t.Errorf("list after limit: status = %d", rec.Code)
	}
}

func TestAPIToken(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, withToken("s3cret"))
	ts.create(t, `{"url":"https://example.org","alias":"public"}`, map[string]string{"Authorization": "Bearer s3cret"})

	tests := []struct {
		name       string
		method     string
		target     string
		auth       string
		wantStatus int
	}{
		{name: "no token", method: http.MethodGet, target: "/api/v1/links", wantStatus: http.StatusUnauthorized},
		{name: "wrong token", method: http.MethodGet, target: "/api/v1/links", auth: "Bearer nope", wantStatus: http.StatusUnauthorized},
		{name: "wrong scheme", method: http.MethodGet, target: "/api/v1/links", auth: "Basic s3cret", wantStatus: http.StatusUnauthorized},
		{name: "token prefix", method: http.MethodGet, target: "/api/v1/links", auth: "Bearer s3cre", wantStatus: http.StatusUnauthorized},
		{name: "create without token", method: http.MethodPost, target: "/api/v1/links", wantStatus: http.StatusUnauthorized},
		{name: "delete without token", method: http.MethodDelete, target: "/api/v1/links/public", wantStatus: http.StatusUnauthorized},
		{name: "right token", method: http.MethodGet, target: "/api/v1/links", auth: "Bearer s3cret", wantStatus: http.StatusOK},
		{name: "scheme is case-insensitive", method: http.MethodGet, target: "/api/v1/links/public", auth: "bearer s3cret", wantStatus: http.StatusOK},
		{name: "redirect is public", method: http.MethodGet, target: "/public", wantStatus: http.StatusFound},
		{name: "healthz is public", method: http.MethodGet, target: "/healthz", wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request{method: tt.method, target: tt.target}
			if tt.auth != "" {
				r.headers = map[string]string{"Authorization": tt.auth}
			}
			rec := ts.do(t, r)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	refused := errors.New("refused")
	tests := []struct {
		name       string
		opts       []option
		wantStatus int
		wantBody   string
		wantChecks map[string]string
	}{
		{name: "all up", opts: []option{withCheck("postgres", true, nil), withCheck("redis", false, nil)},
			wantStatus: http.StatusOK, wantBody: "ready", wantChecks: map[string]string{"postgres": "ok", "redis": "ok"}},
		{name: "redis down", opts: []option{withCheck("postgres", true, nil), withCheck("redis", false, refused)},
			wantStatus: http.StatusOK, wantBody: "degraded", wantChecks: map[string]string{"postgres": "ok", "redis": "degraded"}},
		{name: "postgres down", opts: []option{withCheck("postgres", true, refused), withCheck("redis", false, nil)},
			wantStatus: http.StatusServiceUnavailable, wantBody: "unavailable", wantChecks: map[string]string{"postgres": "unavailable", "redis": "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, tt.opts...)
			if rec := ts.do(t, request{method: http.MethodGet, target: "/healthz"}); rec.Code != http.StatusOK {
				t.Errorf("healthz status = %d", rec.Code)
			}
			rec := ts.do(t, request{method: http.MethodGet, target: "/readyz"})
			if rec.Code != tt.wantStatus {
				t.Fatalf("readyz status = %d, want %d", rec.Code, tt.wantStatus)
			}
			body := decode[struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}](t, rec)
			if body.Status != tt.wantBody || fmt.Sprint(body.Checks) != fmt.Sprint(tt.wantChecks) {
				t.Errorf("readyz = %s %v, want %s %v", body.Status, body.Checks, tt.wantBody, tt.wantChecks)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	rec := ts.do(t, request{method: http.MethodGet, target: "/healthz", headers: map[string]string{"X-Request-ID": "abc-123"}})
	if got := rec.Header().Get("X-Request-ID"); got != "abc-123" {
		t.Errorf("echoed X-Request-ID = %q", got)
	}
	seen := map[string]bool{}
	for _, in := range []string{"", "bad id with spaces", strings.Repeat("x", 200)} {
		rec := ts.do(t, request{method: http.MethodGet, target: "/healthz", headers: map[string]string{"X-Request-ID": in}})
		got := rec.Header().Get("X-Request-ID")
		if got == "" || got == in || seen[got] {
			t.Errorf("for %q got X-Request-ID %q, want a new one", in, got)
		}
		seen[got] = true
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	created := ts.create(t, `{"url":"https://example.org"}`, nil)
	ts.do(t, request{method: http.MethodGet, target: "/" + created.Code})
	ts.do(t, request{method: http.MethodGet, target: "/nowhere"})
	ts.do(t, request{method: http.MethodGet, target: "/a/b/c"})

	rec := ts.do(t, request{method: http.MethodGet, target: "/metrics"})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	for _, want := range []string{
		`test_app_http_requests_total{method="POST",route="/api/v1/links",status="201"} 1`,
		`test_app_http_request_duration_seconds_count{method="GET",route="/:code",status="302"} 1`,
		`test_app_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`test_app_redirects_total{result="found"} 1`,
		`test_app_redirects_total{result="not_found"} 1`,
		`test_app_cache_requests_total{result="hit"} 1`,
		`test_app_cache_requests_total{result="miss"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	rec := ts.do(t, request{method: http.MethodGet, target: "/a/b/c"})
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Errorf("status = %d, body %s", rec.Code, rec.Body)
	}
}

func BenchmarkRedirect(b *testing.B) {
	ts := newTestServer(b)
	created := ts.create(b, `{"url":"https://example.org/bench"}`, nil)
	req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/"+created.Code, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		ts.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusFound {
			b.Fatalf("status = %d", rec.Code)
		}
	}
}

// brokenRepository panics on every call: its embedded interface is nil.
type brokenRepository struct{ link.Repository }

func TestPanicRecovery(t *testing.T) {
	t.Parallel()
	svc := newService(t, brokenRepository{}, linktest.NewCache(), linktest.NewHits(), link.Options{CodeLength: codeLength})
	ts := &testServer{handler: newHandler(t, svc, newMetrics(t), httpapi.Options{BaseURL: baseURL, RateLimitRPS: 1, RateLimitBurst: 10})}

	rec := ts.do(t, request{method: http.MethodGet, target: "/api/v1/links/abcdef"})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if got := decode[map[string]string](t, rec)["error"]; got != "internal error" {
		t.Errorf("error = %q", got)
	}
	if rec.Header().Get("X-Request-ID") == "" {
		t.Error("500 after a panic lacks X-Request-ID")
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("500 after a panic lacks X-Content-Type-Options")
	}
	metrics := ts.do(t, request{method: http.MethodGet, target: "/metrics"}).Body.String()
	if want := `test_app_http_requests_total{method="GET",route="/api/v1/links/:code",status="500"} 1`; !strings.Contains(metrics, want) {
		t.Errorf("metrics lack %s", want)
	}
}
