package metrics_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/gopher-template/url-shortener/internal/metrics"
)

func TestNamespace(t *testing.T) {
	t.Parallel()
	if got := metrics.Namespace("tiny-links-2"); got != "tiny_links_2" {
		t.Errorf("Namespace() = %q", got)
	}
}

func TestRecorders(t *testing.T) {
	t.Parallel()
	m, err := metrics.New(metrics.Namespace("my-app"))
	if err != nil {
		t.Fatal(err)
	}
	m.Resolved("found")
	m.CacheLookup("miss")
	m.LocalCacheLookup(true)
	m.LocalCacheLookup(true)
	m.LocalCacheLookup(false)
	m.HitsFlushed(3, nil)
	m.HitsFlushed(2, nil)
	m.HitsFlushed(7, errors.New("db down"))

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/metrics", http.NoBody))
	for _, want := range []string{
		`my_app_redirects_total{result="found"} 1`,
		`my_app_cache_requests_total{result="miss"} 1`,
		`my_app_local_cache_requests_total{result="hit"} 2`,
		`my_app_local_cache_requests_total{result="miss"} 1`,
		`my_app_hit_flushes_total{result="ok"} 2`,
		`my_app_hit_flushes_total{result="error"} 1`,
		`my_app_hits_flushed_total 5`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
