package link_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"example.com/gopher-template/url-shortener/internal/link"
)

func TestValidateURL(t *testing.T) {
	t.Parallel()
	long := "https://example.org/" + strings.Repeat("a", link.MaxURLLength)
	tests := []struct {
		name  string
		url   string
		valid bool
	}{
		{name: "https", url: "https://example.org/path?q=1#frag", valid: true},
		{name: "http with port", url: "http://example.org:8081/", valid: true},
		{name: "ip host", url: "http://192.0.2.1/x", valid: true},
		{name: "ipv6 host", url: "http://[2001:db8::1]/", valid: true},
		{name: "max length", url: long[:link.MaxURLLength], valid: true},
		{name: "too long", url: long[:link.MaxURLLength+1]},
		{name: "empty", url: ""},
		{name: "no scheme", url: "example.org/path"},
		{name: "ftp", url: "ftp://example.org/file"},
		{name: "javascript", url: "javascript:alert(1)"},
		{name: "no host", url: "https:///path"},
		{name: "port only", url: "http://:80/"},
		{name: "credentials", url: "https://user:pass@example.org/"},
		{name: "whitespace", url: " https://example.org"},
		{name: "bad escape", url: "https://example.org/%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := link.ValidateURL(tt.url)
			if tt.valid && err != nil {
				t.Fatalf("ValidateURL(%q) = %v, want nil", tt.url, err)
			}
			if !tt.valid && !errors.Is(err, link.ErrInvalidURL) {
				t.Fatalf("ValidateURL(%q) = %v, want ErrInvalidURL", tt.url, err)
			}
		})
	}
}

func TestValidateAlias(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alias string
		valid bool
	}{
		{alias: "abc", valid: true},
		{alias: "My_Alias-42", valid: true},
		{alias: strings.Repeat("x", 32), valid: true},
		{alias: strings.Repeat("x", 33)},
		{alias: "ab"},
		{alias: "has space"},
		{alias: "slash/es"},
		{alias: "ünïcode"},
		{alias: "api"},
		{alias: "Metrics"},
	}
	for _, tt := range tests {
		t.Run(tt.alias, func(t *testing.T) {
			t.Parallel()
			err := link.ValidateAlias(tt.alias)
			if tt.valid != (err == nil) {
				t.Fatalf("ValidateAlias(%q) = %v, want valid=%v", tt.alias, err, tt.valid)
			}
			if err != nil && !errors.Is(err, link.ErrInvalidAlias) {
				t.Fatalf("ValidateAlias(%q) = %v, want ErrInvalidAlias", tt.alias, err)
			}
		})
	}
}

func FuzzValidateURL(f *testing.F) {
	for _, seed := range []string{
		"https://example.org", "http://a.b/c?d=e", "ftp://x", "", "javascript:alert(1)",
		"http://[::1]:80/", "https://user@host/", "http://%41/", "//example.org",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := link.ValidateURL(raw)
		if err != nil {
			if !errors.Is(err, link.ErrInvalidURL) {
				t.Fatalf("ValidateURL(%q) returned an unwrapped error: %v", raw, err)
			}
			return
		}
		// Whatever is accepted must be a bounded, absolute http(s) URL with a host.
		if len(raw) > link.MaxURLLength {
			t.Fatalf("accepted %d-byte URL", len(raw))
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted unparsable URL %q: %v", raw, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("accepted scheme %q in %q", u.Scheme, raw)
		}
		if u.Hostname() == "" {
			t.Fatalf("accepted URL without host: %q", raw)
		}
	})
}
