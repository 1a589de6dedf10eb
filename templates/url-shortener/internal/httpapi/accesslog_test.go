package httpapi_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"example.com/gopher-template/plumbing/logging"
	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/url-shortener/internal/httpapi"
	"example.com/gopher-template/url-shortener/internal/link"
	"example.com/gopher-template/url-shortener/internal/link/linktest"
)

type accessLine struct {
	Msg       string `json:"msg"`
	Level     string `json:"level"`
	Path      string `json:"path"`
	Route     string `json:"route"`
	ClientIP  string `json:"client_ip"`
	RequestID string `json:"request_id"`
}

// accessLines returns the access-log lines in out, by path.
func accessLines(t *testing.T, out string) map[string]accessLine {
	t.Helper()
	lines := map[string]accessLine{}
	for raw := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var line accessLine
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		if line.Msg == "http request" {
			lines[line.Path] = line
		}
	}
	return lines
}

// newLoggingServer is a server that logs at Debug to out, behind trusted proxies.
func newLoggingServer(t *testing.T, out *testserve.Buffer, trustedProxies ...string) *testServer {
	t.Helper()
	svc := newService(t, linktest.NewRepository(), linktest.NewCache(), linktest.NewHits(), link.Options{CodeLength: codeLength})
	h, err := httpapi.NewServer(logging.New(out, slog.LevelDebug), httpapi.Options{
		BaseURL: baseURL, RateLimitRPS: 1, RateLimitBurst: 10, TrustedProxies: trustedProxies,
	}, svc, newMetrics(t))
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{handler: h}
}

// TestAccessLogClientIP: the client IP, which observe finds only for a line
// that will be written, is Gin's ClientIP: the peer address, or what a
// trusted proxy forwarded.
func TestAccessLogClientIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		trustedProxies []string
		forwardedFor   string
		want           string
	}{
		{name: "peer", want: "192.0.2.10"},
		{name: "forwarded by an untrusted peer", forwardedFor: "203.0.113.7", want: "192.0.2.10"},
		{name: "forwarded by a trusted proxy", trustedProxies: []string{"192.0.2.0/24"}, forwardedFor: "203.0.113.7", want: "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out testserve.Buffer
			ts := newLoggingServer(t, &out, tt.trustedProxies...)
			ts.create(t, `{"url":"https://example.org/logged","alias":"logged"}`, nil)
			out.Reset()
			headers := map[string]string{"X-Forwarded-For": tt.forwardedFor}
			for _, target := range []string{"/logged", "/api/v1/links/logged", "/a/b/c"} {
				if rec := ts.do(t, request{method: http.MethodGet, target: target, headers: headers}); rec.Code >= http.StatusInternalServerError {
					t.Fatalf("GET %s: status %d", target, rec.Code)
				}
			}
			lines := accessLines(t, out.String())
			for target, route := range map[string]string{"/logged": "/:code", "/api/v1/links/logged": "/api/v1/links/:code", "/a/b/c": "unmatched"} {
				line, ok := lines[target]
				if !ok {
					t.Fatalf("GET %s: no access-log line in %s", target, out.String())
				}
				if line.ClientIP != tt.want || line.Route != route {
					t.Errorf("GET %s: client_ip %q, route %q; want %q, %q", target, line.ClientIP, line.Route, tt.want, route)
				}
			}
		})
	}
}

// TestAccessLogClientIPUnderConcurrency: each line has its own request's
// client IP while Gin recycles its contexts between requests (run with
// -race).
func TestAccessLogClientIPUnderConcurrency(t *testing.T) {
	t.Parallel()
	var out testserve.Buffer
	ts := newLoggingServer(t, &out, "192.0.2.0/24")
	ts.create(t, `{"url":"https://example.org/logged","alias":"logged"}`, nil)
	const clients = 50
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			ts.do(t, request{method: http.MethodGet, target: fmt.Sprintf("/logged?client=%d", i),
				headers: map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i), "X-Request-ID": fmt.Sprintf("client-%d", i)}})
		})
	}
	wg.Wait()
	seen := 0
	for raw := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		var line accessLine
		if err := json.Unmarshal([]byte(raw), &line); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		var client int
		if _, err := fmt.Sscanf(line.RequestID, "client-%d", &client); err != nil || line.Msg != "http request" {
			continue
		}
		seen++
		if want := fmt.Sprintf("203.0.113.%d", client); line.ClientIP != want {
			t.Errorf("request %s: client_ip %q, want %q", line.RequestID, line.ClientIP, want)
		}
	}
	if seen != clients {
		t.Errorf("%d access-log lines of the clients, want %d", seen, clients)
	}
}
