// Package jsonbody reads the JSON body of an API request: declared as
// application/json, exactly one object, bounded in size, unknown fields
// refused, and every error worded for the client, naming JSON fields and
// JSON types, never Go's.
package jsonbody

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// Error is a request body the API refuses: the status to answer and a
// message safe to show the client.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// CheckContentType refuses, with 415, a write whose body is not declared
// application/json (parameters such as charset allowed). An HTML form on any
// web site can POST form-encoded, multipart or text/plain bodies across sites
// without a CORS preflight; a cross-site request with a JSON body needs one.
// Requests without a body (GET, HEAD, OPTIONS, a DELETE without one) pass.
func CheckContentType(r *http.Request) error {
	if !carriesBody(r) {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return &Error{Status: http.StatusUnsupportedMediaType, Message: "Content-Type must be application/json"}
	}
	return nil
}

// carriesBody reports whether r is a write with a request body: every POST,
// PUT and PATCH, and a DELETE that sends one.
func carriesBody(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	case http.MethodDelete:
		return r.ContentLength != 0
	default:
		return true
	}
}

// Decode checks the Content-Type, then reads one JSON object of at most limit
// bytes into v, rejecting unknown fields and anything after the object. Its
// errors are *Error: 415 for another content type, 413 for a body over the
// limit, 400 otherwise.
func Decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if err := CheckContentType(r); err != nil {
		return err
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return clientError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge(maxErr)
		}
		return badRequest("unexpected data after the JSON object")
	}
	return nil
}

// clientError rewords an error of json.Decoder.Decode for the client.
func clientError(err error) *Error {
	if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge(maxErr)
	}
	if syntaxErr, ok := errors.AsType[*json.SyntaxError](err); ok {
		// Offset counts the bytes read up to and including the bad one.
		return badRequest("malformed JSON: syntax error at byte %d", syntaxErr.Offset)
	}
	if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if typeErr.Field == "" {
			return badRequest("request body must be a JSON object")
		}
		// Field is the path of JSON names, such as "url" or "a.b".
		return badRequest("field %q must be %s", typeErr.Field, jsonType(typeErr.Type))
	}
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: the body ends too early")
	}
	// DisallowUnknownFields reports `json: unknown field "name"`, an error of
	// no type of its own.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("unknown field %s", field)
	}
	return badRequest("malformed JSON")
}

func tooLarge(err *http.MaxBytesError) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body larger than %d bytes", err.Limit)}
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
