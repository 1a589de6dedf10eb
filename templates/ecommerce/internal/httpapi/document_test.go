package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v5"

	"example.com/gopher-template/ecommerce/api"
	"example.com/gopher-template/ecommerce/internal/cursor"
	"example.com/gopher-template/ecommerce/internal/httpapi"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
)

func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("api/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi: %s, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != httpapi.BasePath {
		t.Errorf("servers: %v, want only %s", doc.Servers, httpapi.BasePath)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
			for status, ref := range op.Responses.Map() {
				if status >= "400" && ref.Value.Content.Get("application/problem+json") == nil {
					t.Errorf("%s %s: the %s response is not application/problem+json", method, path, status)
				}
			}
			if op.Responses.Status(http.StatusInternalServerError) == nil {
				t.Errorf("%s %s does not document 500", method, path)
			}
		}
	}
}

// The cursor parameter admits the longest cursor the server makes (a name-sorted page ending on
// a 200-character name of four-byte characters), in the document and in the generated checks.
func TestCursorParameterAdmitsEveryCursor(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	param := doc.Components.Parameters["Cursor"]
	if param == nil || param.Value.Schema.Value.MaxLength == nil {
		t.Fatal("the Cursor parameter has no maxLength")
	}
	if got := *param.Value.Schema.Value.MaxLength; got != cursor.MaxTokenLength {
		t.Errorf("the Cursor parameter's maxLength is %d, want cursor.MaxTokenLength (%d)", got, cursor.MaxTokenLength)
	}
	field, ok := reflect.TypeFor[gen.ListProductsParams]().FieldByName("Cursor")
	if want := fmt.Sprintf("omitempty,max=%d", cursor.MaxTokenLength); !ok || field.Tag.Get("validate") != want {
		t.Errorf("ListProductsParams.Cursor is validated by %q, want %q", field.Tag.Get("validate"), want)
	}
}

// The generated code embeds the document it was generated from: it must be the current one, or
// `go generate ./api` was forgotten.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	t.Parallel()
	current, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	// oapi-codegen renames the operationIds it embeds for Go (listProducts → ListProducts).
	for _, doc := range []*openapi3.T{current, embedded} {
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				op.OperationID = strings.ToLower(op.OperationID[:1]) + op.OperationID[1:]
			}
		}
	}
	want, err := json.Marshal(current)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(embedded)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("internal/httpapi/gen embeds another document than api/openapi.yaml: run go generate ./api")
	}
}

// Every route Echo serves is an operation of the document, and every operation is served. The
// only routes outside the document are the documentation's (httpapi.DocsRoutes) and the extra
// handlers cmd mounts (here /healthz).
func TestRoutesMatchDocument(t *testing.T) {
	t.Parallel()
	opts := newFixture(t, fixtureOptions{}).opts
	opts.Extra = map[string]http.Handler{"/healthz": http.NotFoundHandler()}
	routes, err := httpapi.EngineRoutes(opts)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+httpapi.BasePath+toEchoPath(path)] = true
		}
	}
	outside := append(httpapi.DocsRoutes(), "GET /healthz")
	served := map[string]bool{}
	for _, r := range routes {
		if r.Method == echo.RouteNotFound {
			continue // Echo's own catch-alls, if any
		}
		key := r.Method + " " + r.Path
		served[key] = true
		if !documented[key] && !slices.Contains(outside, key) {
			t.Errorf("Echo serves %s, which is not an operation of the document", key)
		}
	}
	for key := range documented {
		if !served[key] {
			t.Errorf("the document's %s is not served", key)
		}
	}
	for _, key := range outside {
		if !served[key] {
			t.Errorf("%s is listed outside the document but not served", key)
		}
	}
}

// toEchoPath turns /products/{id} into /products/:id.
func toEchoPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = ":" + strings.Trim(s, "{}")
		}
	}
	return strings.Join(segs, "/")
}
