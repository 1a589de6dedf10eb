package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v5"

	"example.com/gopher-template/plumbing/jsonbody"

	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
)

// newValidator returns the validator of the generated request types: fields are named by their
// JSON names (the json tag), and the document's custom rules are registered.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	// RegisterValidation fails only for an empty tag or a nil function.
	_ = v.RegisterValidation("sku", func(fl validator.FieldLevel) bool { return catalog.ValidSKU(fl.Field().String()) })
	return v
}

// decodeBody reads the request's JSON body into v with plumbing/jsonbody (415, 413, 400) and
// checks it against its validate tags (422 with errors[]).
func (s *server) decodeBody(c *echo.Context, v any) error {
	if err := jsonbody.Decode(c.Response(), c.Request(), s.maxBody, v); err != nil {
		return err
	}
	if fields := s.check(v); len(fields) > 0 {
		return &problem{Status: http.StatusUnprocessableEntity, Type: typeValidation,
			Detail: "the body breaks the rules; see errors", Errors: fields}
	}
	return nil
}

// checkParams checks a generated parameter struct against its validate tags (400 with errors[]).
func (s *server) checkParams(v any) error {
	if fields := s.check(v); len(fields) > 0 {
		return &problem{Status: http.StatusBadRequest, Type: typeValidation,
			Detail: "parameters break the rules; see errors", Errors: fields}
	}
	return nil
}

// check validates v and words each broken rule for the client.
func (s *server) check(v any) []gen.FieldError {
	err := s.validate.Struct(v)
	if err == nil {
		return nil
	}
	verrs, ok := errors.AsType[validator.ValidationErrors](err)
	if !ok {
		// Only a programming error (v not a struct) gets here.
		return []gen.FieldError{{Field: "", Detail: "the request could not be checked"}}
	}
	out := make([]gen.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		// The namespace starts with the Go type's name: PlaceOrderRequest.items[0].quantity.
		_, path, _ := strings.Cut(fe.Namespace(), ".")
		out = append(out, gen.FieldError{Field: path, Detail: reason(fe)})
	}
	return out
}

// reason words a broken validate rule.
func reason(fe validator.FieldError) string {
	kind := fe.Kind()
	if kind == reflect.Pointer {
		kind = fe.Type().Elem().Kind()
	}
	unit := ""
	switch kind {
	case reflect.String:
		unit = " characters"
	case reflect.Slice, reflect.Array, reflect.Map:
		unit = " items"
	default:
	}
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		return fmt.Sprintf("must be at least %s%s", fe.Param(), unit)
	case "max":
		return fmt.Sprintf("must be at most %s%s", fe.Param(), unit)
	case "email":
		return "must be an email address such as ada@example.com"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "sku":
		return "may hold only letters, digits, '.', '_' and '-'"
	default:
		return "is not valid (" + fe.Tag() + ")"
	}
}
