package httpapi

import (
	"github.com/gin-gonic/gin"

	"example.com/gopher-template/plumbing/jsonbody"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 16 << 10

// decodeJSON reads one JSON object of at most maxBodyBytes into v. Its errors
// are *jsonbody.Error: a status (400, 413 or 415) and a message for the
// client that names JSON fields and JSON types, never Go's.
func decodeJSON(c *gin.Context, v any) error {
	return jsonbody.Decode(c.Writer, c.Request, maxBodyBytes, v)
}
