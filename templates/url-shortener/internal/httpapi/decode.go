package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 16 << 10

// decodeJSON reads one JSON object of at most maxBodyBytes into v, rejecting
// unknown fields and anything after the object. Its errors are meant for the
// client: they name JSON fields and JSON types, never Go's.
func decodeJSON(c *gin.Context, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return clientError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge(maxErr)
		}
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// clientError rewords an error of json.Decoder.Decode for the client.
func clientError(err error) error {
	if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge(maxErr)
	}
	if syntaxErr, ok := errors.AsType[*json.SyntaxError](err); ok {
		// Offset counts the bytes read up to and including the bad one.
		return fmt.Errorf("malformed JSON: syntax error at byte %d", syntaxErr.Offset)
	}
	if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if typeErr.Field == "" {
			return errors.New("request body must be a JSON object")
		}
		// Field is the path of JSON names, such as "url" or "a.b".
		return fmt.Errorf("field %q must be %s", typeErr.Field, jsonType(typeErr.Type))
	}
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: the body ends too early")
	}
	// DisallowUnknownFields reports `json: unknown field "name"`, an error of
	// no type of its own.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s", field)
	}
	return errors.New("malformed JSON")
}

func tooLarge(err *http.MaxBytesError) error {
	return fmt.Errorf("request body larger than %d bytes", err.Limit)
}

// jsonType names the JSON type that decodes into t.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonType(t.Elem())
	default:
		return "of another type"
	}
}
