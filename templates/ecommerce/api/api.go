// Package api holds the OpenAPI document, the source of truth of the HTTP API: the server's
// types, routes and parameter binding in internal/httpapi/gen are generated from it, and the
// server serves it as it is at /openapi.yaml (and as JSON at /openapi.json).
package api

import _ "embed"

//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.yaml

// OpenAPIYAML is openapi.yaml, byte for byte.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
