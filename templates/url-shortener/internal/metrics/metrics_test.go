package metrics_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestSeriesPerLabelValues: the series that the recorders resolve once per
// label values count every call, each in its own series, also when called
// concurrently (run with -race).
func TestSeriesPerLabelValues(t *testing.T) {
	t.Parallel()
	m, err := metrics.New(metrics.Namespace("my-app"))
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, calls = 4, 25
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range calls {
				m.ObserveRequest("/:code", http.MethodGet, http.StatusFound, 2*time.Millisecond)
				m.ObserveRequest("/:code", http.MethodHead, http.StatusFound, 2*time.Millisecond)
				m.ObserveRequest("/:code", http.MethodGet, http.StatusNotFound, 2*time.Millisecond)
				m.ObserveRequest("/api/v1/links", http.MethodGet, http.StatusFound, 2*time.Millisecond)
				m.Resolved("found")
				m.CacheLookup("hit")
			}
		})
	}
	wg.Wait()
	m.Resolved("not_found")
	m.CacheLookup("miss")
	for i := range 50 { // methods a client made up share one series
		m.ObserveRequest("unmatched", fmt.Sprintf("X%d", i), http.StatusNotFound, time.Millisecond)
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/metrics", http.NoBody))
	body := rec.Body.String()
	for _, want := range []string{
		`my_app_http_requests_total{method="GET",route="/:code",status="302"} 100`,
		`my_app_http_requests_total{method="HEAD",route="/:code",status="302"} 100`,
		`my_app_http_requests_total{method="GET",route="/:code",status="404"} 100`,
		`my_app_http_requests_total{method="GET",route="/api/v1/links",status="302"} 100`,
		`my_app_http_request_duration_seconds_bucket{method="GET",route="/:code",status="302",le="0.001"} 0`,
		`my_app_http_request_duration_seconds_bucket{method="GET",route="/:code",status="302",le="0.0025"} 100`,
		`my_app_http_request_duration_seconds_sum{method="GET",route="/:code",status="302"} 0.2`,
		`my_app_http_request_duration_seconds_count{method="HEAD",route="/:code",status="302"} 100`,
		`my_app_redirects_total{result="found"} 100`,
		`my_app_redirects_total{result="not_found"} 1`,
		`my_app_cache_requests_total{result="hit"} 100`,
		`my_app_cache_requests_total{result="miss"} 1`,
		`my_app_http_requests_total{method="OTHER",route="unmatched",status="404"} 50`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Series appear as their label values are first seen, not before.
	for _, unwanted := range []string{`result="expired"`, `result="error"`, `method="POST"`, `method="X1"`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("metrics have a series with %s, never recorded", unwanted)
		}
	}
}
