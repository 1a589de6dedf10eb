package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"example.com/gopher-template/ecommerce/api"
)

func TestDocs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})

	t.Run("the document as YAML, byte for byte", func(t *testing.T) {
		t.Parallel()
		res := f.do(t, call{method: http.MethodGet, path: "/openapi.yaml", undocumented: true})
		res.want(t, http.StatusOK)
		if !bytes.Equal(res.body, api.OpenAPIYAML) || !strings.HasPrefix(res.header.Get("Content-Type"), "application/yaml") {
			t.Errorf("Content-Type %q, %d bytes; want api/openapi.yaml", res.header.Get("Content-Type"), len(res.body))
		}
	})
	t.Run("the document as JSON", func(t *testing.T) {
		t.Parallel()
		res := f.do(t, call{method: http.MethodGet, path: "/openapi.json", undocumented: true})
		res.want(t, http.StatusOK)
		doc, err := openapi3.NewLoader().LoadFromData(res.body)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.Validate(t.Context()); err != nil {
			t.Fatal(err)
		}
		if doc.Paths.Find("/products").Get.OperationID != "listProducts" {
			t.Error("the JSON document is not api/openapi.yaml")
		}
		if strings.Contains(string(res.body), "x-oapi-codegen") || strings.Contains(string(res.body), "x-go-type") {
			t.Error("the JSON document keeps the code generator's extensions")
		}
		if !strings.Contains(string(res.body), `"x-roles"`) {
			t.Error("the JSON document lost x-roles")
		}
	})
	t.Run("/swagger redirects", func(t *testing.T) {
		t.Parallel()
		res := f.do(t, call{method: http.MethodGet, path: "/swagger", undocumented: true})
		if res.status != http.StatusMovedPermanently || res.header.Get("Location") != "/swagger/" {
			t.Errorf("%d to %q, want 301 to /swagger/", res.status, res.header.Get("Location"))
		}
	})
	t.Run("the UI page, with a CSP that admits exactly its inline code", func(t *testing.T) {
		t.Parallel()
		res := f.do(t, call{method: http.MethodGet, path: "/swagger/", undocumented: true})
		res.want(t, http.StatusOK)
		page := string(res.body)
		if !strings.Contains(page, `id="swagger-ui"`) || !strings.Contains(page, "/openapi.json") {
			t.Fatalf("not the Swagger UI page: %s", page)
		}
		if strings.Contains(page, "https://") && regexp.MustCompile(`(src|href)="https?://`).MatchString(page) {
			t.Error("the page loads something from another origin (a CDN?)")
		}
		csp := res.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP %q allows inline or eval'd code at large", csp)
		}
		scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(page, -1)
		if len(scripts) == 0 {
			t.Fatal("no inline script found; the hash check proves nothing")
		}
		for _, m := range scripts {
			sum := sha256.Sum256([]byte(m[1]))
			if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
				t.Errorf("CSP %q does not admit an inline script of the page (%s)", csp, h)
			}
		}
		if res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Error("the UI lost the other API headers")
		}
	})
	t.Run("the UI's assets are embedded", func(t *testing.T) {
		t.Parallel()
		for _, asset := range []string{"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"} {
			res := f.do(t, call{method: http.MethodGet, path: "/swagger/" + asset, undocumented: true})
			res.want(t, http.StatusOK)
			body := res.body
			if res.header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if len(body) < 1000 {
				t.Errorf("%s: %d bytes", asset, len(body))
			}
		}
	})
	t.Run("API responses keep the strict headers", func(t *testing.T) {
		t.Parallel()
		res := f.do(t, call{method: http.MethodGet, path: "/v1/products"})
		if csp := res.header.Get("Content-Security-Policy"); csp != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("API CSP %q", csp)
		}
	})
}
