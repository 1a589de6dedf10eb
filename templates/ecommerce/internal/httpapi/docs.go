package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v5"
	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"

	"example.com/gopher-template/ecommerce/api"
)

// The documentation routes, outside BasePath: the Swagger UI and the document it shows.
const (
	SwaggerPath     = "/swagger/"
	OpenAPIJSONPath = "/openapi.json"
	OpenAPIYAMLPath = "/openapi.yaml"
)

// DocsRoutes returns the routes the documentation is served on ("METHOD path", Echo syntax):
// none of them is an operation of the document.
func DocsRoutes() []string {
	return []string{"GET /swagger", "GET /swagger/*", "GET " + OpenAPIJSONPath, "GET " + OpenAPIYAMLPath}
}

func isDocsPath(path string) bool {
	return path == OpenAPIJSONPath || path == OpenAPIYAMLPath || path == strings.TrimSuffix(SwaggerPath, "/") || strings.HasPrefix(path, SwaggerPath)
}

// addDocs serves the Swagger UI (its assets embedded in the binary: no CDN, works offline) and
// the document, as it is in api/openapi.yaml and as JSON.
func addDocs(ctx context.Context, e *echo.Echo, doc *openapi3.T) error {
	specJSON, err := docJSON(doc)
	if err != nil {
		return err
	}
	ui := v5emb.NewHandlerWithConfig(swgui.Config{
		Title:       "E-commerce API",
		SwaggerJSON: OpenAPIJSONPath,
		BasePath:    SwaggerPath,
		HideCurl:    false,
		SettingsUI: map[string]string{
			// Keep the token across reloads of the page.
			"persistAuthorization": "true",
		},
	})
	csp, err := swaggerCSP(ctx, ui)
	if err != nil {
		return err
	}
	serveUI := func(c *echo.Context) error {
		// apiheaders forbids everything; the page needs its own scripts, styles and images,
		// and to fetch the document and call the API on this origin. Nothing else.
		c.Response().Header().Set("Content-Security-Policy", csp)
		ui.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	e.GET(strings.TrimSuffix(SwaggerPath, "/"), func(c *echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, SwaggerPath)
	})
	e.GET(SwaggerPath+"*", serveUI)
	e.GET(OpenAPIJSONPath, func(c *echo.Context) error {
		return c.Blob(http.StatusOK, "application/json", specJSON)
	})
	e.GET(OpenAPIYAMLPath, func(c *echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", api.OpenAPIYAML)
	})
	return nil
}

// docJSON is the document as JSON for readers: without the code generator's extensions
// (x-oapi-codegen-*, x-go-*), which say how to write Go, not how to call the API.
func docJSON(doc *openapi3.T) ([]byte, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("httpapi: encode the OpenAPI document as JSON: %w", err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("httpapi: decode the OpenAPI document: %w", err)
	}
	var strip func(any)
	strip = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if strings.HasPrefix(k, "x-oapi-codegen-") || strings.HasPrefix(k, "x-go-") {
					delete(v, k)
					continue
				}
				strip(child)
			}
		case []any:
			for _, child := range v {
				strip(child)
			}
		}
	}
	strip(tree)
	out, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("httpapi: encode the OpenAPI document as JSON: %w", err)
	}
	return out, nil
}

var (
	inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	inlineStyle  = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
)

// swaggerCSP is the page's Content-Security-Policy: its inline scripts and style allowed by
// their hashes (the page is rendered once here to compute them), everything else from this
// origin only, and data: images (the UI's icons).
func swaggerCSP(ctx context.Context, ui http.Handler) (string, error) {
	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, SwaggerPath, nil))
	page := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(page, "swagger-ui") {
		return "", fmt.Errorf("httpapi: render the Swagger UI page: status %d", rec.Code)
	}
	hashes := func(re *regexp.Regexp) string {
		var b strings.Builder
		for _, m := range re.FindAllStringSubmatch(page, -1) {
			sum := sha256.Sum256([]byte(m[1]))
			fmt.Fprintf(&b, " 'sha256-%s'", base64.StdEncoding.EncodeToString(sum[:]))
		}
		return b.String()
	}
	return "default-src 'none'; script-src 'self'" + hashes(inlineScript) +
		"; style-src 'self'" + hashes(inlineStyle) +
		"; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", nil
}
