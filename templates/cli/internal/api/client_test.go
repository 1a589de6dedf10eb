package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"example.com/gopher-template/cli/internal/apitest"
)

// reply is one canned response of fakeTransport; err != nil simulates a connection error.
type reply struct {
	status int
	header http.Header
	body   string
	err    error
}

// fakeTransport answers requests from a script and records when each one arrived. It needs no
// network, so it works inside a synctest bubble, where time.Now is the fake clock.
type fakeTransport struct {
	mu      sync.Mutex
	replies []reply
	calls   []call
}

type call struct {
	at     time.Time
	method string
	header http.Header
}

func (f *fakeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	f.calls = append(f.calls, call{at: time.Now(), method: req.Method, header: req.Header.Clone()})
	if len(f.replies) == 0 {
		return nil, errors.New("fakeTransport: no reply scripted")
	}
	r := f.replies[0]
	f.replies = f.replies[1:]
	if r.err != nil {
		return nil, r.err
	}
	h := r.header
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{
		Status:     http.StatusText(r.status),
		StatusCode: r.status,
		Header:     h,
		Body:       io.NopCloser(strings.NewReader(r.body)),
		Request:    req,
	}, nil
}

// testUserAgent is what test clients send; the CLI's own User-Agent is tested in package cli.
const testUserAgent = "api-test/1.0"

func newTestClient(t *testing.T, ft *fakeTransport, timeout time.Duration) *Client {
	t.Helper()
	c, err := New(Options{
		Endpoint:   "http://api.test",
		Token:      "tok",
		UserAgent:  testUserAgent,
		Timeout:    timeout,
		HTTPClient: &http.Client{Transport: ft},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const linkJSON = `{"code":"abc","url":"https://example.com","short_url":"https://sho.rt/abc","created_at":"2025-01-02T03:04:05Z","expires_at":null,"hits":7}`

func retryAfter(v string) http.Header { return http.Header{"Retry-After": {v}} }

func gaps(calls []call) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(calls); i++ {
		out = append(out, calls[i].at.Sub(calls[i-1].at))
	}
	return out
}

func TestRetry(t *testing.T) {
	policy := DefaultRetryPolicy()
	tests := []struct {
		name       string
		method     string
		replies    []reply
		wantCalls  int
		wantErr    bool
		wantStatus int // when wantErr, the StatusError's code; 0 means a NetworkError
		checkGaps  func([]time.Duration) string
		timeout    time.Duration // per-operation timeout; 0 means 10s
	}{
		{
			name:      "429 with Retry-After seconds then success",
			method:    http.MethodGet,
			replies:   []reply{{status: 429, header: retryAfter("1")}, {status: 200, body: linkJSON}},
			wantCalls: 2,
			checkGaps: exactly(time.Second),
		},
		{
			name:      "503 then success uses jittered backoff",
			method:    http.MethodGet,
			replies:   []reply{{status: 503}, {status: 200, body: linkJSON}},
			wantCalls: 2,
			checkGaps: between(policy.BaseDelay/2, policy.BaseDelay),
		},
		{
			name:      "backoff grows exponentially",
			method:    http.MethodGet,
			replies:   []reply{{status: 502}, {status: 504}, {err: errors.New("connection reset")}, {status: 200, body: linkJSON}},
			wantCalls: 4,
			checkGaps: func(g []time.Duration) string {
				for i, d := range g {
					if lo, hi := policy.BaseDelay<<i/2, policy.BaseDelay<<i; d < lo || d > hi {
						return "gap " + d.String() + " outside [" + lo.String() + ", " + hi.String() + "]"
					}
				}
				return ""
			},
		},
		{
			name:      "Retry-After is capped",
			method:    http.MethodGet,
			replies:   []reply{{status: 429, header: retryAfter("3600")}, {status: 200, body: linkJSON}},
			wantCalls: 2,
			checkGaps: exactly(policy.MaxRetryAfter),
			timeout:   time.Minute,
		},
		{
			name:       "gives up after MaxAttempts",
			method:     http.MethodGet,
			replies:    []reply{{status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 200}},
			wantCalls:  4,
			wantErr:    true,
			wantStatus: 503,
		},
		{
			name:      "connection error on GET is retried",
			method:    http.MethodGet,
			replies:   []reply{{err: errors.New("connection refused")}, {status: 200, body: linkJSON}},
			wantCalls: 2,
		},
		{
			name:       "404 is not retried",
			method:     http.MethodGet,
			replies:    []reply{{status: 404, body: `{"error":"not found"}`}},
			wantCalls:  1,
			wantErr:    true,
			wantStatus: 404,
		},
		{
			name:       "POST not retried on 500",
			method:     http.MethodPost,
			replies:    []reply{{status: 500, body: `{"error":"boom"}`}, {status: 201, body: linkJSON}},
			wantCalls:  1,
			wantErr:    true,
			wantStatus: 500,
		},
		{
			name:       "POST not retried on 503 without Retry-After",
			method:     http.MethodPost,
			replies:    []reply{{status: 503}, {status: 201, body: linkJSON}},
			wantCalls:  1,
			wantErr:    true,
			wantStatus: 503,
		},
		{
			name:       "POST not retried on 502 even with Retry-After",
			method:     http.MethodPost,
			replies:    []reply{{status: 502, header: retryAfter("1")}, {status: 201, body: linkJSON}},
			wantCalls:  1,
			wantErr:    true,
			wantStatus: 502,
		},
		{
			name:      "POST not retried on connection error",
			method:    http.MethodPost,
			replies:   []reply{{err: errors.New("connection reset")}, {status: 201, body: linkJSON}},
			wantCalls: 1,
			wantErr:   true,
		},
		{
			name:      "POST retried on 429 with Retry-After",
			method:    http.MethodPost,
			replies:   []reply{{status: 429, header: retryAfter("2")}, {status: 201, body: linkJSON}},
			wantCalls: 2,
			checkGaps: exactly(2 * time.Second),
		},
		{
			name:      "POST retried on 503 with Retry-After",
			method:    http.MethodPost,
			replies:   []reply{{status: 503, header: retryAfter("1")}, {status: 201, body: linkJSON}},
			wantCalls: 2,
			checkGaps: exactly(time.Second),
		},
		{
			name:       "no retry when the wait outlasts the deadline",
			method:     http.MethodGet,
			replies:    []reply{{status: 429, header: retryAfter("20")}, {status: 200, body: linkJSON}},
			wantCalls:  1,
			wantErr:    true,
			wantStatus: 429,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ft := &fakeTransport{replies: tt.replies}
				timeout := tt.timeout
				if timeout == 0 {
					timeout = 10 * time.Second
				}
				c := newTestClient(t, ft, timeout)
				var err error
				if tt.method == http.MethodPost {
					_, err = c.CreateLink(t.Context(), CreateLinkRequest{URL: "https://example.com"})
				} else {
					_, err = c.GetLink(t.Context(), "abc")
				}
				if got := len(ft.calls); got != tt.wantCalls {
					t.Errorf("calls = %d, want %d", got, tt.wantCalls)
				}
				if (err != nil) != tt.wantErr {
					t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
				}
				if tt.wantErr {
					checkErrType(t, err, tt.wantStatus)
				}
				if tt.checkGaps != nil {
					if msg := tt.checkGaps(gaps(ft.calls)); msg != "" {
						t.Error(msg)
					}
				}
			})
		})
	}
}

func checkErrType(t *testing.T, err error, wantStatus int) {
	t.Helper()
	if wantStatus == 0 {
		var ne *NetworkError
		if !errors.As(err, &ne) {
			t.Fatalf("err = %T %v, want *NetworkError", err, err)
		}
		return
	}
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != wantStatus {
		t.Fatalf("err = %T %v, want *StatusError %d", err, err, wantStatus)
	}
}

func exactly(want time.Duration) func([]time.Duration) string {
	return func(g []time.Duration) string {
		if len(g) != 1 || g[0] != want {
			return "gaps = " + fmtDurations(g) + ", want [" + want.String() + "]"
		}
		return ""
	}
}

func between(lo, hi time.Duration) func([]time.Duration) string {
	return func(g []time.Duration) string {
		if len(g) != 1 || g[0] < lo || g[0] > hi {
			return "gaps = " + fmtDurations(g) + ", want one in [" + lo.String() + ", " + hi.String() + "]"
		}
		return ""
	}
}

func fmtDurations(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestRetryAfterHTTPDate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		date := time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
		ft := &fakeTransport{replies: []reply{{status: 503, header: retryAfter(date)}, {status: 200, body: linkJSON}}}
		c := newTestClient(t, ft, 10*time.Second)
		if _, err := c.GetLink(t.Context(), "abc"); err != nil {
			t.Fatal(err)
		}
		if g := gaps(ft.calls); len(g) != 1 || g[0] != 5*time.Second {
			t.Errorf("gaps = %v, want [5s]", g)
		}
	})
}

func TestTimeoutIsNetworkError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{}
		c := newTestClient(t, ft, time.Second)
		c.http.Transport = roundTripFunc(func(req *http.Request) (*http.Response, error) {
			<-req.Context().Done()
			return nil, req.Context().Err()
		})
		_, err := c.GetLink(t.Context(), "abc")
		var ne *NetworkError
		if !errors.As(err, &ne) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want NetworkError wrapping DeadlineExceeded", err)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRequestHeaders(t *testing.T) {
	ft := &fakeTransport{replies: []reply{{status: 200, body: linkJSON}}}
	c := newTestClient(t, ft, time.Second)
	l, err := c.GetLink(t.Context(), "abc")
	if err != nil {
		t.Fatal(err)
	}
	if l.Code != "abc" || l.Hits != 7 || l.ExpiresAt != nil {
		t.Errorf("link = %+v", l)
	}
	h := ft.calls[0].header
	if got := h.Get("User-Agent"); got != testUserAgent {
		t.Errorf("User-Agent = %q, want %q", got, testUserAgent)
	}
	if got := h.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestStatusErrorMessage(t *testing.T) {
	ft := &fakeTransport{replies: []reply{{status: 409, body: `{"error":"alias taken"}`}}}
	c := newTestClient(t, ft, time.Second)
	_, err := c.CreateLink(t.Context(), CreateLinkRequest{URL: "https://example.com", Alias: "x"})
	var se *StatusError
	if !errors.As(err, &se) || se.Message != "alias taken" || se.StatusCode != http.StatusConflict {
		t.Fatalf("err = %#v", err)
	}
	if want := "POST /api/v1/links: 409 Conflict: alias taken"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestListAllLinks(t *testing.T) {
	page := func(codes []string, next string) reply {
		p := Page{NextCursor: next}
		for _, c := range codes {
			p.Links = append(p.Links, Link{Code: c})
		}
		b, _ := json.Marshal(p)
		return reply{status: 200, body: string(b)}
	}
	t.Run("follows cursors to the end", func(t *testing.T) {
		ft := &fakeTransport{replies: []reply{page([]string{"a", "b"}, "c1"), page([]string{"c"}, "")}}
		p, err := newTestClient(t, ft, time.Second).ListAllLinks(t.Context(), 2, 0, "")
		if err != nil || len(p.Links) != 3 || p.NextCursor != "" {
			t.Fatalf("page = %+v, err = %v", p, err)
		}
	})
	t.Run("stops at limit on a page boundary", func(t *testing.T) {
		ft := &fakeTransport{replies: []reply{page([]string{"a", "b"}, "c1"), page([]string{"c"}, "c2")}}
		p, err := newTestClient(t, ft, time.Second).ListAllLinks(t.Context(), 2, 3, "")
		if err != nil || len(p.Links) != 3 || p.NextCursor != "c2" {
			t.Fatalf("page = %+v, err = %v", p, err)
		}
		if len(ft.calls) != 2 {
			t.Errorf("calls = %d, want 2", len(ft.calls))
		}
	})
	t.Run("detects a cursor loop", func(t *testing.T) {
		ft := &fakeTransport{replies: []reply{page([]string{"a"}, "c1"), page([]string{"b"}, "c1")}}
		_, err := newTestClient(t, ft, time.Second).ListAllLinks(t.Context(), 1, 0, "")
		if !errors.Is(err, ErrPaginationLoop) {
			t.Fatalf("err = %v, want ErrPaginationLoop", err)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"99999999999999999", time.Duration(1 << 62), true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNewRejectsBadEndpoint(t *testing.T) {
	for _, ep := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := New(Options{Endpoint: ep}); err == nil {
			t.Errorf("New(%q) succeeded", ep)
		}
	}
}

func TestResponseBodyLimit(t *testing.T) {
	t.Parallel()
	// padded is a valid link body of exactly n bytes: only its size can make it fail.
	padded := func(n int) string { return linkJSON + strings.Repeat(" ", n-len(linkJSON)) }
	tests := []struct {
		name    string
		reply   apitest.Reply
		wantErr bool
		wantIn  string // more text the error must contain
	}{
		{name: "small", reply: apitest.Reply{Status: http.StatusOK, Body: linkJSON}},
		{name: "exactly at the limit", reply: apitest.Reply{Status: http.StatusOK, Body: padded(MaxResponseBody)}},
		{name: "one byte over the limit", reply: apitest.Reply{Status: http.StatusOK, Body: padded(MaxResponseBody + 1)}, wantErr: true},
		{name: "10 MB, chunked", reply: apitest.Reply{Status: http.StatusOK, Body: padded(10 << 20)}, wantErr: true},
		{
			name:    "10 MB, Content-Length",
			reply:   apitest.Reply{Status: http.StatusOK, Header: http.Header{"Content-Length": {strconv.Itoa(10 << 20)}}, Body: padded(10 << 20)},
			wantErr: true,
			wantIn:  "Content-Length 10485760", // refused before reading
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := apitest.New(t, apitest.Options{})
			s.Enqueue(tt.reply)
			c, err := New(Options{Endpoint: s.URL, HTTPClient: s.Client()})
			if err != nil {
				t.Fatal(err)
			}
			l, err := c.GetLink(t.Context(), "abc")
			if !tt.wantErr {
				if err != nil || l.Code != "abc" {
					t.Fatalf("GetLink = %+v, %v; want the link", l, err)
				}
				return
			}
			limit := fmt.Sprintf("%d MiB", MaxResponseBody>>20)
			if !errors.Is(err, ErrResponseTooLarge) || !strings.Contains(err.Error(), limit) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Fatalf("err = %v, want ErrResponseTooLarge naming the %s limit", err, limit)
			}
			if n := len(s.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}
