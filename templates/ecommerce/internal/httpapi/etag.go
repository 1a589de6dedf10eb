package httpapi

import (
	"strconv"
	"strings"

	"example.com/gopher-template/ecommerce/internal/catalog"
)

// productETag is the product's strong entity tag: its version and its stock. The version alone
// would not do: an order takes stock without a new version, and a client holding the old stock
// must neither get 304 nor overwrite the new stock with a PUT.
func productETag(p catalog.Product) string {
	return `"` + strconv.Itoa(p.Version) + "-" + strconv.Itoa(p.Stock) + `"`
}

// etagListMatches reports whether the If-Match or If-None-Match value header lists etag, or is
// "*" (RFC 9110, 13.1.1 and 13.1.2). If-Match compares strongly (a weak tag never matches),
// If-None-Match weakly (W/ is ignored). A malformed list matches nothing from the first bad
// element on.
func etagListMatches(header, etag string, weak bool) bool {
	rest := strings.TrimSpace(header)
	if rest == "*" {
		return true
	}
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			break
		}
		isWeak := false
		if after, ok := strings.CutPrefix(rest, "W/"); ok {
			isWeak, rest = true, after
		}
		if !strings.HasPrefix(rest, `"`) {
			return false
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return false
		}
		tag := rest[:end+2]
		rest = rest[end+2:]
		if tag == etag && (weak || !isWeak) {
			return true
		}
	}
	return false
}
