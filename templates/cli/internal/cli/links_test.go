package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"example.com/gopher-template/cli/internal/apitest"
	"example.com/gopher-template/cli/internal/config"
)

func TestLinksGetGolden(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			newServer(t, h, apitest.Options{})
			r := h.mustRun(0, "links", "get", "blog", "--output", format)
			golden(t, "get_"+format, r.stdout)
		})
	}
}

func TestLinksListGolden(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			s := newServer(t, h, apitest.Options{})
			r := h.mustRun(0, "links", "list", "--page-size", "2", "-o", format)
			golden(t, "list_"+format, r.stdout)
			if r.stderr != "" {
				t.Errorf("stderr = %q, want nothing (all pages were fetched)", r.stderr)
			}
			reqs := s.Requests()
			if len(reqs) != 2 || reqs[0].Query.Get("limit") != "2" || reqs[1].Query.Get("cursor") != "off-2" {
				t.Errorf("requests = %+v, want two pages of 2", reqs)
			}
		})
	}
}

func TestLinksListPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCodes  string
		wantLimits []string
		wantStderr string
	}{
		{"all pages", []string{"--page-size", "1"}, "docs blog shop", []string{"1", "1", "1"}, ""},
		{"limit stops on a page boundary", []string{"--limit", "2", "--page-size", "100"}, "docs blog", []string{"2"}, ""},
		{"limit smaller than page", []string{"--limit", "1"}, "docs", []string{"1"}, ""},
		{"limit across pages", []string{"--limit", "3", "--page-size", "2"}, "docs blog shop", []string{"2", "1"}, ""},
		{"single page from cursor", []string{"--cursor", "off-1", "--page-size", "1"}, "blog", []string{"1"}, ""},
		{"first page only", []string{"--cursor", "", "--page-size", "2"}, "docs blog", []string{"2"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			s := newServer(t, h, apitest.Options{})
			r := h.mustRun(0, append([]string{"links", "list", "-q"}, tt.args...)...)
			if got := strings.Join(strings.Fields(r.stdout), " "); got != tt.wantCodes {
				t.Errorf("codes = %q, want %q", got, tt.wantCodes)
			}
			var limits []string
			for _, req := range s.Requests() {
				limits = append(limits, req.Query.Get("limit"))
			}
			if strings.Join(limits, ",") != strings.Join(tt.wantLimits, ",") {
				t.Errorf("limits = %v, want %v", limits, tt.wantLimits)
			}
		})
	}
}

func TestLinksListNextCursor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newServer(t, h, apitest.Options{})

	r := h.mustRun(0, "links", "list", "--limit", "2", "-o", "json")
	var page struct {
		Links      []json.RawMessage `json:"links"`
		NextCursor string            `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Links) != 2 || page.NextCursor != "off-2" {
		t.Errorf("got %d links, next_cursor %q; want 2, off-2", len(page.Links), page.NextCursor)
	}

	r = h.mustRun(0, "links", "list", "--limit", "2")
	if !strings.Contains(r.stderr, config.AppName+" links list --cursor off-2") {
		t.Errorf("stderr = %q, want a hint with the next cursor", r.stderr)
	}
}

func TestLinksCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newServer(t, h, apitest.Options{})

	r := h.mustRun(0, "links", "create", "https://example.com/new", "--alias", "new", "--expires-in", "24h", "-o", "json")
	golden(t, "create_json", r.stdout)
	reqs := s.Requests()
	var body map[string]string
	if err := json.Unmarshal([]byte(reqs[len(reqs)-1].Body), &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"url": "https://example.com/new", "alias": "new", "expires_at": "2025-01-03T03:04:05Z"}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("request %s = %q, want %q", k, body[k], v)
		}
	}
	if ua, want := reqs[len(reqs)-1].UserAgent, config.AppName+"/test"; ua != want {
		t.Errorf("User-Agent = %q, want %q", ua, want)
	}

	r = h.mustRun(0, "links", "create", "https://example.com/other", "-q")
	if r.stdout != "n1\n" {
		t.Errorf("quiet create printed %q, want the code", r.stdout)
	}
	reqs = s.Requests()
	if b := reqs[len(reqs)-1].Body; strings.Contains(b, "expires_at") || strings.Contains(b, "alias") {
		t.Errorf("request body %s: want no alias or expires_at when not given", b)
	}

	r = h.mustRun(1, "links", "create", "https://example.com/dup", "--alias", "docs")
	if !strings.Contains(r.stderr, "409") || !strings.Contains(r.stderr, "alias already taken") {
		t.Errorf("stderr = %q, want the 409 message", r.stderr)
	}
}

func TestLinksDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	newServer(t, h, apitest.Options{})
	r := h.mustRun(0, "links", "delete", "docs")
	if r.stdout != "Deleted docs\n" {
		t.Errorf("stdout = %q", r.stdout)
	}
	h.mustRun(3, "links", "get", "docs")
	h.mustRun(3, "links", "delete", "docs")
	r = h.mustRun(0, "links", "delete", "blog", "-o", "json")
	if r.stdout != "{\n  \"code\": \"blog\",\n  \"deleted\": true\n}\n" {
		t.Errorf("stdout = %q", r.stdout)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	closed := closedPortURL(t)
	tests := []struct {
		name    string
		token   string // server token; "" means no auth
		env     map[string]string
		replies []apitest.Reply // served before normal handling
		args    []string
		want    int
		stderr  string
	}{
		{name: "ok", args: []string{"links", "get", "docs"}, want: 0},
		{name: "not found", args: []string{"links", "get", "nope"}, want: 3, stderr: "link not found"},
		{name: "missing argument", args: []string{"links", "get"}, want: 2, stderr: "Run '" + config.AppName + " links get --help'"},
		{name: "extra argument", args: []string{"links", "list", "x"}, want: 2},
		{name: "unknown flag", args: []string{"links", "get", "docs", "--bogus"}, want: 2},
		{name: "unknown command", args: []string{"linkz"}, want: 2},
		{name: "unknown subcommand", args: []string{"links", "gett", "docs"}, want: 2, stderr: "did you mean get?"},
		{name: "bad output flag", args: []string{"links", "get", "docs", "-o", "xml"}, want: 2, stderr: "--output"},
		{name: "bad output env", env: map[string]string{config.EnvPrefix + "OUTPUT": "xml"}, args: []string{"links", "get", "docs"}, want: 2, stderr: config.EnvPrefix + "OUTPUT"},
		{name: "bad timeout", args: []string{"links", "get", "docs", "--timeout", "nope"}, want: 2},
		{name: "bad page size", args: []string{"links", "list", "--page-size", "101"}, want: 2},
		{name: "bad expires-in", args: []string{"links", "create", "https://x.test", "--expires-in", "-1h"}, want: 2},
		{name: "missing profile", args: []string{"links", "get", "docs", "--profile", "nope"}, want: 2, stderr: `profile "nope" not found`},
		{name: "bad docs format", args: []string{"docs", "--format", "pdf", "--dir", "x"}, want: 2},
		{name: "docs without dir", args: []string{"docs"}, want: 2},
		{name: "unknown config key", args: []string{"config", "get", "colour"}, want: 2},
		{name: "server error", replies: []apitest.Reply{{Status: 500, Body: `{"error":"database down"}`}}, args: []string{"links", "get", "docs"}, want: 1, stderr: "database down"},
		{name: "bad request", args: []string{"links", "create", "not a url"}, want: 1, stderr: "400"},
		{name: "persistent 503", replies: []apitest.Reply{{Status: 503}, {Status: 503}, {Status: 503}}, args: []string{"links", "get", "docs"}, want: 1},
		{name: "network error", env: map[string]string{config.EnvPrefix + "ENDPOINT": closed}, args: []string{"links", "get", "abc"}, want: 4, stderr: "network error"},
		{name: "network error flag", args: []string{"links", "get", "abc", "--endpoint", closed}, want: 4},
		{name: "401 without token", token: "s3cret-token-value", args: []string{"links", "get", "docs"}, want: 5, stderr: "401"},
		{name: "401 wrong token", token: "s3cret-token-value", args: []string{"links", "get", "docs", "--token", "wrong"}, want: 5},
		{name: "403", replies: []apitest.Reply{{Status: 403, Body: `{"error":"forbidden"}`}}, args: []string{"links", "delete", "docs"}, want: 5},
		{name: "right token", token: "s3cret-token-value", env: map[string]string{config.EnvPrefix + "TOKEN": "s3cret-token-value"}, args: []string{"links", "get", "docs"}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			s := newServer(t, h, apitest.Options{Token: tt.token})
			s.Enqueue(tt.replies...)
			for k, v := range tt.env {
				h.env[k] = v
			}
			r := h.mustRun(tt.want, tt.args...)
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.stderr)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		replies   []apitest.Reply
		args      []string
		want      int
		wantCalls int
	}{
		{"GET retried after 503", []apitest.Reply{{Status: 503}}, []string{"links", "get", "docs"}, 0, 2},
		{"GET retried after 429 with Retry-After", []apitest.Reply{{Status: 429, Header: http.Header{"Retry-After": {"1"}}}}, []string{"links", "get", "docs"}, 0, 2},
		{"DELETE retried after 502", []apitest.Reply{{Status: 502}}, []string{"links", "delete", "docs"}, 0, 2},
		{"POST not retried after 500", []apitest.Reply{{Status: 500}}, []string{"links", "create", "https://example.com"}, 1, 1},
		{"POST not retried after 503 without Retry-After", []apitest.Reply{{Status: 503}}, []string{"links", "create", "https://example.com"}, 1, 1},
		{"POST retried after 429 with Retry-After", []apitest.Reply{{Status: 429, Header: http.Header{"Retry-After": {"1"}}}}, []string{"links", "create", "https://example.com"}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			s := newServer(t, h, apitest.Options{})
			s.Enqueue(tt.replies...)
			h.mustRun(tt.want, tt.args...)
			if got := len(s.Requests()); got != tt.wantCalls {
				t.Errorf("requests = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestDebugNeverShowsToken(t *testing.T) {
	t.Parallel()
	const token = "tok-5a9b0c1d2e3f4a5b"
	h := newHarness(t)
	s := newServer(t, h, apitest.Options{Token: token})
	s.Enqueue(apitest.Reply{Status: 503})
	h.env[config.EnvPrefix+"TOKEN"] = token

	r := h.mustRun(0, "links", "get", "docs", "--debug")
	for _, want := range []string{"method=GET", "/api/v1/links/docs", "status=503", "status=200", "duration=", "token_set=true"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("debug output lacks %q:\n%s", want, r.stderr)
		}
	}
	r2 := h.mustRun(0, "links", "list", "--debug", "--token", token)
	for _, out := range []string{r.stdout, r.stderr, r2.stdout, r2.stderr} {
		if strings.Contains(out, token) || strings.Contains(out, "Bearer") {
			t.Errorf("output shows the token:\n%s", out)
		}
	}
	if got := s.Requests()[0].Authorization; got != "Bearer "+token {
		t.Errorf("Authorization = %q, want the token to be sent", got)
	}
}

// TestServerTextIsEscaped checks that text from the server reaches the terminal escaped on
// both streams: table cells on stdout, error messages and the next-cursor hint on stderr.
func TestServerTextIsEscaped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		seed       apitest.Link
		reply      *apitest.Reply
		args       []string
		code       int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "table cell",
			seed:       apitest.Link{Code: "evil", URL: "https://example.com/\x1b]0;pwned\x07\u202e"},
			args:       []string{"links", "get", "evil"},
			wantStdout: `https://example.com/\x1b]0;pwned\x07\u202e`,
		},
		{
			name:       "error message",
			reply:      &apitest.Reply{Status: 500, Body: `{"error":"boom\u001b[2J\r\u009b"}`},
			args:       []string{"links", "get", "docs"},
			code:       1,
			wantStderr: `boom\x1b[2J\x0d\u009b`,
		},
		{
			name:       "next cursor hint",
			reply:      &apitest.Reply{Status: 200, Body: `{"links":[{"code":"a"}],"next_cursor":"c\u001b[2J"}`},
			args:       []string{"links", "list", "--limit", "1"},
			wantStderr: `--cursor c\x1b[2J`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			s := newServer(t, h, apitest.Options{})
			if tt.seed.Code != "" {
				s.Seed(tt.seed)
			}
			if tt.reply != nil {
				s.Enqueue(*tt.reply)
			}
			r := h.mustRun(tt.code, tt.args...)
			for _, out := range []string{r.stdout, r.stderr} {
				if strings.ContainsAny(out, "\x1b\x07\r\u009b\u202e") {
					t.Errorf("output has raw control characters: %q", out)
				}
			}
			if !strings.Contains(r.stdout, tt.wantStdout) || !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stdout = %q, stderr = %q; want them to contain %q and %q", r.stdout, r.stderr, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}
