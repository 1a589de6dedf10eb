package link

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

const (
	// MaxURLLength is the longest target URL accepted.
	MaxURLLength = 2048

	minAliasLength = 3
	maxAliasLength = 32
)

// aliasPattern is compiled once; regexp.Regexp is safe for concurrent use.
var aliasPattern = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9_-]{%d,%d}$`, minAliasLength, maxAliasLength))

// ValidateURL checks that raw is an absolute http or https URL with a host
// and at most MaxURLLength bytes long.
func ValidateURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("%w: url is required", ErrInvalidURL)
	}
	if len(raw) > MaxURLLength {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidURL, MaxURLLength)
	}
	if strings.TrimSpace(raw) != raw {
		return fmt.Errorf("%w: leading or trailing whitespace", ErrInvalidURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// net/url's own wording (`parse "…": missing ']' in host`) is for
		// programmers; the client gets a sentence.
		return fmt.Errorf("%w: not a well-formed URL", ErrInvalidURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme must be http or https", ErrInvalidURL)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%w: host is required", ErrInvalidURL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials are not allowed", ErrInvalidURL)
	}
	return nil
}

// ValidateAlias checks a caller-chosen code.
func ValidateAlias(alias string) error {
	if !aliasPattern.MatchString(alias) {
		return fmt.Errorf("%w: must match %s", ErrInvalidAlias, aliasPattern.String())
	}
	if reserved(alias) {
		return fmt.Errorf("%w: %q is reserved", ErrInvalidAlias, alias)
	}
	return nil
}

// reserved reports whether code would shadow a top-level route of the
// service, which would make its redirect unreachable.
func reserved(code string) bool {
	switch strings.ToLower(code) {
	case "api", "healthz", "readyz", "metrics", "debug", "favicon.ico", "robots.txt":
		return true
	}
	return false
}

// plausibleCode reports whether code could name a link: every generated code
// and alias is 1 to maxAliasLength characters from [A-Za-z0-9_-]. Anything
// else is rejected without a lookup.
func plausibleCode(code string) bool {
	if code == "" || len(code) > maxAliasLength {
		return false
	}
	for _, c := range []byte(code) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
